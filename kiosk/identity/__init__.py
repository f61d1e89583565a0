"""The identity check (人证核验): is the citizen at the screen the person the document
belongs to? The face matcher is in `matcher.py` (the camera's face against the
document's photo); the liveness check (a live person, not a photo or a screen held
up to the camera) is in `liveness.py`. Qt-free, like every service under kiosk/."""
