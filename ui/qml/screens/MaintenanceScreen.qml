import QtQuick
import "../parts"

// The technicians' desk: first the PIN, then devices, log and configuration.
Item {
    id: page
    readonly property var theme: kiosk.style
    readonly property var desk: kiosk.maintenance
    // the storage slots' page (SlotPanel) in place of the desk's own
    readonly property bool slotPage: !!(desk && desk.slots && desk.slots.shown)
    property string pin: ""
    Column {
        anchors.fill: parent
        spacing: page.theme.gap
        visible: page.desk !== null
        KText { theme: page.theme; heading: true; width: parent.width; text: qsTrId("ui.maintenance.title") }
        // the PIN
        Column {
            width: parent.width
            spacing: page.theme.gap
            visible: page.desk && page.desk.asking
            KText { theme: page.theme; width: parent.width; text: qsTrId("ui.maintenance.pin") }
            KText { objectName: "pin_dots"; theme: page.theme; width: parent.width; font.pixelSize: page.theme.title; text: "●".repeat(page.pin.length) + " " }
            KText {
                objectName: "pin_message"
                theme: page.theme
                width: parent.width
                color: page.theme.alert
                visible: text !== ""
                text: page.desk && page.desk.message ? "⚠ " + qsTrId(page.desk.message) : ""
            }
            Keypad {
                theme: page.theme
                width: parent.width
                onKey: function(k) { page.pin = k === "⌫" ? page.pin.slice(0, -1) : (page.pin + k).slice(0, 12) }
            }
            Row {
                spacing: page.theme.gap
                KButton { objectName: "button_pin_enter"; theme: page.theme; primary: true; textId: "ui.maintenance.open"; onTapped: { page.desk.enter(page.pin); page.pin = "" } }
                KButton { objectName: "button_maintenance_leave"; theme: page.theme; textId: "ui.maintenance.leave"; onTapped: { page.pin = ""; page.desk.leave() } }
            }
        }
        // the desk
        Column {
            width: parent.width
            spacing: page.theme.gap / 2
            visible: page.desk && page.desk.open && !page.slotPage
            KText { theme: page.theme; width: parent.width; font.bold: true; text: qsTrId("ui.maintenance.devices") }
            Repeater {
                model: page.desk ? page.desk.devices : []
                delegate: Column {
                    id: device
                    required property var modelData
                    width: page.width
                    Row {
                        spacing: page.theme.gap
                        KText { theme: page.theme; width: page.width * 0.55; objectName: "device_" + device.modelData.name; text: (device.modelData.heading ? Screens.fill(qsTrId(device.modelData.heading.id), device.modelData.heading.values) : device.modelData.name + ": " + device.modelData.state) + (device.modelData.result ? "  ✓ " + device.modelData.result : "") }
                        KButton { objectName: "selftest_" + device.modelData.name; theme: page.theme; implicitWidth: page.theme.target * 2.4; textId: "ui.maintenance.selftest"; onTapped: page.desk.selfTest(device.modelData.name) }
                    }
                    // its media and supplies, a line a fact (kiosk/device_media.py)
                    Repeater {
                        model: device.modelData.media || []
                        delegate: KText {
                            required property var modelData
                            objectName: "media_" + device.modelData.name
                            theme: page.theme
                            width: page.width
                            leftPadding: page.theme.gap
                            font.pixelSize: page.theme.small
                            color: modelData.alert ? page.theme.alert : page.theme.quiet
                            text: (modelData.alert ? "⚠ " : "· ") + Screens.fill(qsTrId(modelData.id), modelData.values)
                        }
                    }
                }
            }
            Row {
                spacing: page.theme.gap
                KButton { objectName: "button_refresh"; theme: page.theme; textId: "desk.refresh"; onTapped: page.desk.refresh() }
                KButton { objectName: "button_slots"; theme: page.theme; visible: !!(page.desk && page.desk.slots); textId: "desk.slots.open"; onTapped: page.desk.slots.show() }
            }
            KButton { objectName: "button_camera_view"; theme: page.theme; textId: "ui.maintenance.camera"; onTapped: page.desk.toggleCamera() }
            // the booth's door/tamper alarm (kiosk/booth.py): cleared once the cabinet is shut
            Row {
                spacing: page.theme.gap
                visible: page.desk && page.desk.clearsAlarm
                KButton { objectName: "button_clear_alarm"; theme: page.theme; textId: "ui.maintenance.clear_alarm"; onTapped: page.desk.clearAlarm() }
                KText { objectName: "alarm_verdict"; theme: page.theme; width: page.width * 0.5; anchors.verticalCenter: parent.verticalCenter; text: page.desk && page.desk.alarmVerdict ? qsTrId(page.desk.alarmVerdict) : "" }
            }
            Image {
                objectName: "maintenance_camera"
                visible: page.desk && page.desk.cameraFrame >= 0
                width: parent.width * 0.6
                height: visible ? width * 9 / 16 : 0
                fillMode: Image.PreserveAspectFit
                cache: false
                source: visible ? "image://camera/" + page.desk.cameraFrame : ""
            }
            KText { theme: page.theme; width: parent.width; font.bold: true; text: qsTrId("ui.maintenance.logs") }
            Repeater {
                model: page.desk ? page.desk.logLines : []
                delegate: KText { required property string modelData; theme: page.theme; width: page.width; font.pixelSize: page.theme.small; elide: Text.ElideRight; wrapMode: Text.NoWrap; text: modelData }
            }
            KText { theme: page.theme; width: parent.width; font.bold: true; text: qsTrId("ui.maintenance.config") }
            Repeater {
                model: page.desk ? page.desk.configLines : []
                delegate: KText { required property string modelData; theme: page.theme; width: page.width; font.pixelSize: page.theme.small; text: modelData }
            }
            Row {
                spacing: page.theme.gap
                KButton { objectName: "button_restart"; theme: page.theme; textId: "ui.maintenance.restart"; onTapped: page.desk.restart() }
                KButton { objectName: "button_maintenance_leave"; theme: page.theme; primary: true; textId: "ui.maintenance.leave"; onTapped: page.desk.leave() }
            }
        }
        SlotPanel {
            width: parent.width
            visible: page.slotPage
            theme: page.theme
            slots: page.desk ? page.desk.slots : null
        }
    }
}
