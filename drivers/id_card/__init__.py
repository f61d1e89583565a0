"""The resident ID card reader (二代身份证, GA/T 467 SAM module over serial): its
frames, the decoding of the card's text into an identity record, the photo
decoder plugin, the driver and the simulator."""
