"""The camera screen serving a session's capture_photo step (ui/camera.py's PhotoStep
on screen): the preview at camera rate while the citizen poses, then the photo kept,
with its receipt number, as the step's result. Used when the terminal has a camera;
without one the step goes to the step services like any other.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from flows import events as ev
from flows.results import Photo
from kiosk.photo.process import Made
from kiosk.photo.spec import SpecError

if TYPE_CHECKING:
    from ui.session_driver import SessionDriver

log = logging.getLogger("kiosk.ui.shell")  # the shell's log: its readers' filters hold


class CameraStep:
    """The session driver's camera screen: one photo step at a time."""

    def __init__(self, driver: SessionDriver) -> None:
        self.driver = driver
        self.shell = driver.shell
        self._taken = 0  # photo steps served: each photo kept under its own ref
        self._preview = QTimer(driver)
        self._preview.setInterval(33)  # the preview at camera rate
        self._preview.timeout.connect(self._tick)

    def ready(self) -> bool:
        photo = self.shell.photo_step
        return photo is not None and photo.camera() is not None

    def take(self, perform: ev.Perform) -> None:
        """The camera screen serves the step: the citizen keeps a photo or leaves."""
        photo, driver = self.shell.photo_step, self.driver
        assert photo is not None
        self.shell.show_screen("camera")
        self._preview.start()
        step_id = perform.step_id
        self._taken += 1
        number = self._taken

        def done(made: Made) -> None:
            self._preview.stop()
            quality = {
                k: float(v)
                for k, v in made.measures.items()
                if k in ("sharpness", "yaw", "pitch", "roll")
            }
            ref = f"photo-{number}"
            if made.jpeg is not None:
                driver.photos[ref] = made.jpeg  # for the backend; gone with the session
            # the number the slip prints and the backend stores the photo under: drawn
            # (and kept on disk) when the citizen keeps the photo, before anything prints
            receipts = self.shell.receipts
            receipt = receipts() if receipts is not None else None
            result = Photo(photo_ref=ref, receipt_number=receipt, quality=quality)
            driver.serviceDone.emit(ev.StepCompleted(self.shell.clock(), step_id, result))

        try:
            photo.start(str(perform.params.get("spec", "id_card")), done)
        except SpecError:  # a flow naming a spec the terminal lacks: the step fails, calmly
            log.exception("the photo step's spec cannot be loaded")
            self._preview.stop()
            driver.serviceDone.emit(ev.StepFailed(self.shell.clock(), step_id, "invalid_data"))

    def stop(self) -> None:
        """The step is left or the session is over: the camera's frames and the photo go."""
        self._preview.stop()
        if self.shell.photo_step is not None:
            self.shell.photo_step.stop()

    def _tick(self) -> None:
        if self.shell.photo_step is not None:
            self.shell.photo_step.tick()
