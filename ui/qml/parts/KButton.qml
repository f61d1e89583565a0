import QtQuick

// A touch target: never smaller than the theme's target, its label never smaller
// than the main text. `primary`: filled; otherwise outlined (shape and words, not
// colour alone, tell them apart).
Rectangle {
    id: button
    property var theme
    property string textId: ""
    property string label: textId ? qsTrId(textId) : ""
    property bool primary: false
    property bool enabledState: true
    signal tapped()
    implicitWidth: theme ? Math.max(theme.target * 3, caption.implicitWidth + theme.gap * 2) : 0
    implicitHeight: theme ? Math.max(theme.target, caption.implicitHeight + theme.gap) : 0
    radius: 12
    color: !theme ? "transparent" : !enabledState ? "#E3E7EC" : (primary ? theme.brand : theme.card)
    border.width: primary ? 0 : 3
    border.color: !theme ? "transparent" : enabledState ? theme.brand : theme.line
    Text {
        id: caption
        anchors.centerIn: parent
        width: button.theme ? Math.min(implicitWidth, button.width - button.theme.gap) : 0
        text: button.label
        color: !button.theme ? "black" : !button.enabledState ? button.theme.quiet : (button.primary ? button.theme.onBrand : button.theme.brand)
        font.pixelSize: button.theme ? button.theme.text : 30
        font.bold: true
        wrapMode: Text.WordWrap
        horizontalAlignment: Text.AlignHCenter
    }
    MouseArea {
        anchors.fill: parent
        enabled: button.enabledState
        onClicked: button.tapped()
    }
}
