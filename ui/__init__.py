"""The Qt Quick touchscreen: screen components, Python view-models, theme, voice.

With the composition root (kiosk.app), the only package that imports Qt.
"""
