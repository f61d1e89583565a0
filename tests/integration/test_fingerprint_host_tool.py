"""A host tool written elsewhere for the real R30x module (pyfingerprint) works
against our simulator across the instruction set."""

from __future__ import annotations

from pyfingerprint.pyfingerprint import PyFingerprint

from drivers.fingerprint.simulator import R30xSimulator


def test_a_host_tool_written_elsewhere_works_against_the_simulator():
    sim = R30xSimulator().start()
    try:
        tool = PyFingerprint(str(sim.link), 57600, 0xFFFFFFFF, 0x00000000)
        assert tool.verifyPassword()
        assert tool.getSystemParameters()[2] == 1000
        assert tool.readImage() is False  # no finger yet
        sim.put_finger("right_index")
        assert tool.readImage()
        tool.convertImage(0x01)
        assert tool.searchTemplate() == (-1, -1)
        tool.readImage()
        tool.convertImage(0x02)
        assert tool.compareCharacteristics() > 0
        assert tool.createTemplate()
        assert tool.storeTemplate() == 0
        assert tool.getTemplateCount() == 1 and tool.getTemplateIndex(0)[0]
        tool.convertImage(0x01)
        assert tool.searchTemplate()[0] == 0
        characteristics = tool.downloadCharacteristics(0x01)
        assert len(characteristics) == 512
        assert tool.uploadCharacteristics(0x02, characteristics)
        assert tool.loadTemplate(0, 0x01)
        assert tool.deleteTemplate(0) and tool.getTemplateCount() == 0
        assert tool.clearDatabase()
        assert isinstance(tool.generateRandomNumber(), int)
    finally:
        sim.stop()
