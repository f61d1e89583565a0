import QtQuick

// Text at the theme's size at least; dark on light unless told otherwise.
Text {
    property var theme
    property bool heading: false
    color: theme ? theme.ink : "#16202B"
    font.pixelSize: theme ? (heading ? theme.title : theme.text) : 30
    font.bold: heading
    wrapMode: Text.WordWrap
    // the layout's start: the right edge for a language written right to left, whatever
    // the text holds (a number, a Latin name)
    horizontalAlignment: Text.AlignLeft
}
