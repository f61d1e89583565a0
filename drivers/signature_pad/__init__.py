"""`signature_pad`: a pen pad on which the citizen signs (Wacom's ISDV4 serial
protocol): strokes with pressure and time, the pad's own 重签 / 确认 buttons, the
signature rendered to a PNG at the size an application asks."""
