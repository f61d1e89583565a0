// The terminal's status, shown until the service screens land. All text comes
// from the view-model (`status`), already translated.
import QtQuick
import QtQuick.Window

Window {
    id: root
    required property QtObject status
    visible: true
    color: "#0b3d91"   // police blue; white text on it is well above 4.5:1
    title: status.title

    readonly property string fontFamily: "WenQuanYi Micro Hei"
    readonly property int margin: Math.round(width * 0.06)

    Column {
        anchors.fill: parent
        anchors.margins: root.margin
        spacing: root.margin / 2

        Text {
            text: root.status.title
            color: "white"
            font.family: root.fontFamily
            font.pixelSize: 64
            font.bold: true
        }
        Text {
            text: root.status.clockText
            color: "white"
            font.family: root.fontFamily
            font.pixelSize: 40
        }
        Rectangle { width: parent.width; height: 4; color: "#ffd200" }
        Text {
            width: parent.width
            wrapMode: Text.Wrap
            text: root.status.terminalLine
            color: "white"
            font.family: root.fontFamily
            font.pixelSize: 36
        }
        Text {
            text: root.status.versionLine
            color: "white"
            font.family: root.fontFamily
            font.pixelSize: 32
        }
        Text {
            width: parent.width
            wrapMode: Text.Wrap
            text: root.status.backendLine
            color: "white"
            font.family: root.fontFamily
            font.pixelSize: 32
        }
        Text {
            text: root.status.devicesTitle
            color: "#ffd200"
            font.family: root.fontFamily
            font.pixelSize: 36
            font.bold: true
        }
        Repeater {
            model: root.status.deviceLines
            Text {
                required property string modelData
                width: parent.width
                wrapMode: Text.Wrap
                text: modelData
                color: "white"
                font.family: root.fontFamily
                font.pixelSize: 30
            }
        }
        Rectangle { width: parent.width; height: 4; color: "#ffd200" }
        Text {
            width: parent.width
            wrapMode: Text.Wrap
            text: root.status.notice
            color: "white"
            font.family: root.fontFamily
            font.pixelSize: 32
        }
    }
}
