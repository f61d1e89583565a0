// 求助: what the help call did. "Called at 14:02" only after the backend's receipt;
// while the call goes out, that it is calling; when nobody could be told, the
// phone number and the nearest staffed counter (the city pack's). With the
// intercom, the video call to the duty room below it: calling, ringing, talking,
// or how it ended (and then the phone number too); the button hangs up.
import QtQuick

Rectangle {
    id: overlay
    property var shell: kiosk
    readonly property var theme: kiosk.style
    readonly property var desk: overlay.shell.helpDesk
    color: "#CC16202B"
    MouseArea { anchors.fill: parent }
    Rectangle {
        anchors.centerIn: parent
        width: parent.width * 0.85
        height: column.implicitHeight + overlay.theme.gap * 2
        radius: 16
        color: overlay.theme.card
        Column {
            id: column
            anchors { left: parent.left; right: parent.right; top: parent.top; margins: overlay.theme.gap }
            spacing: overlay.theme.gap
            KText { theme: overlay.theme; heading: true; width: parent.width; text: qsTrId("ui.help.title") }
            KText {
                objectName: "help_state"
                theme: overlay.theme
                width: parent.width
                // "could not be reached" is the video call's to say when there is one
                visible: !(overlay.desk.state === "not_called" && overlay.desk.callState !== "")
                color: overlay.desk.state === "not_called" ? overlay.theme.alert : overlay.theme.ink
                text: overlay.desk.state === "called"
                      ? Screens.fill(qsTrId("ui.help.called"), {"time": overlay.desk.calledAt})
                      : overlay.desk.state === "not_called" ? qsTrId("ui.help.not_called")
                      : qsTrId("ui.help.calling")
            }
            // the video call to the duty room (ui.help.call.<state>)
            KText {
                objectName: "help_call"
                theme: overlay.theme
                width: parent.width
                visible: overlay.desk.callState !== ""
                color: overlay.desk.callLive || overlay.desk.callState === "ended"
                       ? overlay.theme.ink : overlay.theme.alert
                text: overlay.desk.callState !== "" ? qsTrId("ui.help.call." + overlay.desk.callState) : ""
            }
            // the number to call, big enough to read from a step back
            KText {
                objectName: "help_phone"
                theme: overlay.theme
                heading: true
                width: parent.width
                visible: overlay.desk.needsPhone
                text: overlay.desk.phone
            }
            KText {
                theme: overlay.theme
                width: parent.width
                visible: overlay.desk.needsPhone
                text: Screens.fill(qsTrId("ui.help.counter"), {"counter": overlay.desk.counter})
            }
            KText {
                theme: overlay.theme
                width: parent.width
                visible: overlay.desk.queued
                text: qsTrId("ui.help.queued")
            }
            KButton {
                objectName: "button_help_close"
                theme: overlay.theme
                primary: true
                width: parent.width
                textId: overlay.desk.callLive ? "ui.help.hang_up" : "ui.help.close"
                onTapped: overlay.shell.showHelp(false)
            }
        }
    }
}
