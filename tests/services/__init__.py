"""Real system services for the tests: started in temporary folders, shared per
test session, stopped after. Used through the fixtures in tests/conftest.py."""
