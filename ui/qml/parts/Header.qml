import QtQuick

// The terminal's name and the time on the left; language, large text and help
// on the right, on every screen.
Rectangle {
    id: header
    property var shell: kiosk
    readonly property var theme: kiosk.style
    height: Math.max(buttons.height, names.implicitHeight) + theme.gap * 2
    color: theme.brand
    Column {
        id: names
        anchors { left: parent.left; leftMargin: header.theme.gap; verticalCenter: parent.verticalCenter }
        width: parent.width - buttons.width - header.theme.gap * 3
        Text {
            width: parent.width
            text: qsTrId("ui.app.title")
            color: header.theme.onBrand
            font.pixelSize: header.theme.text
            font.bold: true
            elide: Text.ElideRight
        }
        Text {
            objectName: "clock"
            text: header.shell.clockText
            color: header.theme.onBrand
            font.pixelSize: header.theme.small
        }
    }
    MouseArea {  // hold the terminal's name for three seconds: the technicians' door
        objectName: "maintenance_gesture"
        anchors.fill: names
        pressAndHoldInterval: 3000
        enabled: header.shell.screen === "home"
        onPressAndHold: header.shell.askMaintenance()
    }
    Row {
        id: buttons
        anchors { right: parent.right; rightMargin: header.theme.gap; verticalCenter: parent.verticalCenter }
        spacing: header.theme.gap / 2
        KButton {
            objectName: "button_language"
            theme: header.theme
            textId: "ui.lang.switch"
            implicitWidth: header.theme.target * 1.9
            onTapped: header.shell.toggleLanguage()
        }
        KButton {
            objectName: "button_elderly"
            theme: header.theme
            textId: header.shell.elderly ? "ui.elderly.off" : "ui.elderly.on"
            implicitWidth: header.theme.target * 2.2
            onTapped: header.shell.toggleElderly()
        }
        KButton {  // the wheelchair layout: every action within reach, low on the screen
            objectName: "button_reach"
            theme: header.theme
            primary: header.shell.reach
            implicitWidth: header.theme.target * 1.1
            Accessible.name: qsTrId(header.shell.reach ? "ui.reach.off" : "ui.reach.on")
            Image {
                anchors.centerIn: parent
                width: parent.height * 0.7
                height: width
                sourceSize: Qt.size(width, height)
                source: header.shell.reach ? "wheelchair-on-brand.svg" : "wheelchair.svg"
            }
            onTapped: header.shell.toggleReach()
        }
        KButton {
            objectName: "button_help"
            theme: header.theme
            textId: "ui.help"
            implicitWidth: header.theme.target * 1.3
            onTapped: header.shell.showHelp(true)
        }
    }
}
