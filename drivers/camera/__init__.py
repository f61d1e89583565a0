"""The camera: an OpenCV driver that delivers frames off the GUI thread through a
bounded queue, and an MJPEG-over-HTTP simulator on loopback (an IP camera)."""
