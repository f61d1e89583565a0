-- How each order was paid: 'qr' (QR micropay, settled with the gateway) or
-- 'bank_card' (the card terminal, settled with it and the bank's own file).
ALTER TABLE payments ADD COLUMN method TEXT NOT NULL DEFAULT 'qr';
