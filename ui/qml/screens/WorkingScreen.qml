import QtQuick
import "../parts"

// The kiosk is busy for the citizen (checking, printing, writing the chip).
Item {
    id: page
    property var shell: kiosk
    readonly property var theme: kiosk.style
    Column {
        anchors.centerIn: parent
        width: parent.width
        spacing: page.theme ? page.theme.gap : 0
        visible: page.shell !== null && page.shell !== undefined
        KText { theme: page.theme; heading: true; width: parent.width; horizontalAlignment: Text.AlignHCenter; text: page.shell ? qsTrId(page.shell.textId) : "" }
        Item {
            width: parent.width
            height: page.theme ? page.theme.target * 2 : 100
            Rectangle {
                id: spinner
                anchors.centerIn: parent
                width: page.theme ? page.theme.target * 1.5 : 100
                height: width
                radius: width / 2
                color: "transparent"
                border.width: 10
                border.color: page.theme ? page.theme.brand : "blue"
                Rectangle { width: 24; height: 24; radius: 12; color: page.theme ? page.theme.alert : "red"; x: parent.width / 2 - 12; y: -7 }
                RotationAnimation on rotation { from: 0; to: 360; duration: 1600; loops: Animation.Infinite }
            }
        }
        KText { theme: page.theme; width: parent.width; horizontalAlignment: Text.AlignHCenter; text: qsTrId("ui.working.wait") }
    }
}
