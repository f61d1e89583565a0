import QtQuick

Rectangle {
    id: overlay
    property var shell: kiosk
    readonly property var theme: kiosk.style
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
            KText { theme: overlay.theme; width: parent.width; text: qsTrId("ui.help.text") }
            KButton {
                objectName: "button_help_close"
                theme: overlay.theme
                primary: true
                width: parent.width
                textId: "ui.help.close"
                onTapped: overlay.shell.showHelp(false)
            }
        }
    }
}
