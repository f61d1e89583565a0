import QtQuick

// Time is running out: a spoken warning, the seconds left, one tap for more time.
Rectangle {
    id: overlay
    property var shell: kiosk
    readonly property var theme: kiosk.style
    color: "#CC16202B"
    MouseArea { anchors.fill: parent }  // nothing behind is touched by mistake
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
            KText {
                theme: overlay.theme
                heading: true
                width: parent.width
                text: qsTrId("ui.timeout.title")
            }
            KText {
                objectName: "timeout_seconds"
                theme: overlay.theme
                width: parent.width
                text: Screens.fill(qsTrId("ui.timeout.left"), {"seconds": overlay.shell.warningSeconds})
            }
            KButton {
                objectName: "button_more_time"
                theme: overlay.theme
                primary: true
                width: parent.width
                textId: "ui.timeout.more"
                enabledState: overlay.shell.extensionsLeft > 0
                onTapped: overlay.shell.extend()
            }
        }
    }
}
