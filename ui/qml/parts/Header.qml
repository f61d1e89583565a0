import QtQuick

// The terminal's name and the time on the left; language, large text and help
// on the right, on every screen (mirrored for a language written right to left).
// When the buttons leave the name too little room (three languages, large text),
// they go on a row of their own under it, at the end of the line.
Rectangle {
    id: header
    property var shell: kiosk
    readonly property var theme: kiosk.style
    // the title beside the buttons on one line, else the buttons go under it;
    // decided once they are laid out (a binding would loop through the height)
    property bool stacked: false
    function restack() {
        stacked = titleWidth.advanceWidth > width - buttons.implicitWidth - theme.gap * 3
    }
    onWidthChanged: Qt.callLater(restack)
    Component.onCompleted: restack()
    TextMetrics {
        id: titleWidth
        text: qsTrId("ui.app.title")
        font.pixelSize: header.theme.text
        font.bold: true
        onAdvanceWidthChanged: Qt.callLater(header.restack)
    }
    height: bar.implicitHeight + theme.gap * 2
    color: theme.brand
    Grid {
        id: bar
        anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: header.theme.gap }
        columns: header.stacked ? 1 : 2
        spacing: header.theme.gap
        horizontalItemAlignment: Grid.AlignRight
        verticalItemAlignment: Grid.AlignVCenter
        Item {
            id: names
            width: bar.width - (header.stacked ? 0 : buttons.width + bar.spacing)
            height: nameLines.implicitHeight
            Column {
                id: nameLines
                width: parent.width
                Text {
                    width: parent.width
                    text: qsTrId("ui.app.title")
                    color: header.theme.onBrand
                    font.pixelSize: header.theme.text
                    font.bold: true
                    horizontalAlignment: Text.AlignLeft  // mirrored: right, for right to left
                    // a long title (English in large text, Uyghur) wraps rather than being cut
                    wrapMode: Text.WordWrap
                    maximumLineCount: 2
                    elide: Text.ElideRight
                }
                Text {
                    objectName: "clock"
                    width: parent.width
                    horizontalAlignment: Text.AlignLeft
                    text: header.shell.clockText
                    color: header.theme.onBrand
                    font.pixelSize: header.theme.small
                }
            }
            MouseArea {  // hold the terminal's name for three seconds: the technicians' door
                objectName: "maintenance_gesture"
                anchors.fill: parent
                pressAndHoldInterval: 3000
                enabled: header.shell.screen === "home"
                onPressAndHold: header.shell.askMaintenance()
            }
        }
        Row {
            id: buttons
            onImplicitWidthChanged: Qt.callLater(header.restack)
            spacing: header.theme.gap / 2
            // One button per other language of the city pack, each with that language's
            // own name in its own script: a citizen finds their language without knowing
            // the one on the screen (a cycling button would show only the next one's name).
            // With two languages it is the one button it always was.
            Repeater {
                model: header.shell.otherLanguages
                delegate: KButton {
                    required property string modelData
                    objectName: header.shell.otherLanguages.length === 1 ? "button_language" : "button_language_" + modelData
                    theme: header.theme
                    textId: "ui.lang.name." + modelData
                    implicitWidth: header.theme.target * 1.9
                    onTapped: header.shell.setLanguage(modelData)
                }
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
}
