"""The formats the terminal and the backend share: API payloads, the signed proof
payload, record kinds (pydantic models). Imports nothing else of the project.
"""

# The protocol and release version both sides report.
__version__ = "0.1.0"
