"""The bank-card payment terminal: the project's ECR protocol (PROTOCOL.md), its
driver and its simulator."""
