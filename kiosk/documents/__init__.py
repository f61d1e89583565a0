"""Printed documents: A4 proofs with signed QR codes, slips and receipts, their
Chinese typesetting, and verification of a printed or scanned proof."""
