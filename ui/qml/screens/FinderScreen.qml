import QtQuick
import QtQuick.VirtualKeyboard
import "../parts"

// 您要办什么？: a few large everyday choices, and a search field (characters, pinyin,
// initials or English words, searched at each keystroke: letters still being composed
// count); the services found as large tiles, as on the home screen. Nothing found:
// where the staffed counter is, and a call for help.
Item {
    id: page
    property var shell: kiosk
    readonly property var theme: kiosk.style
    readonly property var finder: shell ? shell.finder : null
    readonly property bool searching: finder ? finder.searching : false
    readonly property var found: finder ? finder.results : []
    implicitHeight: column.implicitHeight

    // what is being composed on the keyboard goes with the screen: nothing typed here
    // reaches the next screen's field
    function leave() {
        InputContext.clear()
        input.clear()
    }

    Column {
        id: column
        anchors { left: parent.left; right: parent.right }
        spacing: page.theme ? page.theme.gap : 0
        visible: page.finder !== null
        KText {
            theme: page.theme
            heading: true
            width: parent.width
            text: qsTrId("ui.finder.title")
        }
        Row {
            width: parent.width
            spacing: page.theme ? page.theme.gap / 2 : 0
            Rectangle {
                objectName: "finder_field"
                width: parent.width - (clearButton.visible ? clearButton.width + parent.spacing : 0)
                height: page.theme ? page.theme.target : 88
                color: page.theme ? page.theme.card : "white"
                border.color: page.theme ? page.theme.brand : "blue"
                border.width: 3
                radius: 8
                TextInput {
                    id: input
                    objectName: "finder_input"
                    anchors { fill: parent; margins: page.theme ? page.theme.gap / 2 : 8 }
                    verticalAlignment: TextInput.AlignVCenter
                    // the keyboard learns nothing of what is typed here, and offers nothing
                    inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText | Qt.ImhNoAutoUppercase
                    font.pixelSize: page.theme ? page.theme.title : 40
                    color: page.theme ? page.theme.ink : "black"
                    clip: true
                    // displayText holds the pinyin being composed too: sfz finds 身份证
                    onDisplayTextChanged: if (page.finder) page.finder.search(displayText)
                }
                Text {  // what to type, until something is
                    anchors { fill: input }
                    verticalAlignment: Text.AlignVCenter
                    visible: input.displayText === ""
                    text: qsTrId("ui.finder.hint")
                    color: page.theme ? page.theme.quiet : "#44505E"
                    font.pixelSize: page.theme ? page.theme.text : 30
                    elide: Text.ElideRight
                }
            }
            KButton {
                id: clearButton
                objectName: "button_finder_clear"
                theme: page.theme
                visible: page.searching
                textId: "ui.finder.clear"
                onTapped: { page.leave(); page.finder.clear() }
            }
        }
        KText {  // the everyday choice whose services are listed
            objectName: "finder_chosen"
            theme: page.theme
            width: parent.width
            font.bold: true
            visible: text !== ""
            text: page.finder && page.finder.chosen ? qsTrId(page.finder.chosen) : ""
        }
        Grid {
            id: choices
            width: parent.width
            columns: 2
            spacing: page.theme ? page.theme.gap / 2 : 8
            visible: !page.searching
            Repeater {
                model: page.finder ? page.finder.choices : []
                delegate: KButton {
                    required property var modelData
                    objectName: "choice_" + modelData.id
                    theme: page.theme
                    width: (choices.width - choices.spacing) / 2
                    height: page.theme ? page.theme.target * 1.4 : 120
                    textId: modelData.text
                    onTapped: { page.leave(); page.finder.choose(modelData.id) }
                }
            }
        }
        Repeater {
            model: page.searching ? page.found : []
            delegate: Rectangle {
                id: tile
                required property var modelData
                objectName: "result_" + modelData.id
                readonly property bool available: modelData.available
                width: column.width
                height: Math.max(page.theme.target * 1.2, words.implicitHeight + page.theme.gap * 1.5)
                radius: 16
                color: available ? page.theme.brand : "#E3E7EC"
                border.width: available ? 0 : 3
                border.color: page.theme.line
                Column {
                    id: words
                    anchors {
                        left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter
                        leftMargin: page.theme.gap; rightMargin: page.theme.gap
                    }
                    Text {
                        width: parent.width
                        text: qsTrId(tile.modelData.title)
                        color: tile.available ? page.theme.onBrand : page.theme.quiet
                        font.pixelSize: page.theme.title
                        font.bold: true
                        wrapMode: Text.WordWrap
                    }
                    Text {
                        width: parent.width
                        visible: !tile.available
                        text: visible ? qsTrId(tile.modelData.reason) : ""
                        color: page.theme.quiet
                        font.pixelSize: page.theme.text
                        wrapMode: Text.WordWrap
                    }
                }
                MouseArea {
                    anchors.fill: parent
                    enabled: tile.available
                    // the tile goes with the results it stands in: what it names is read first
                    onClicked: {
                        var flow = tile.modelData.id, shell = page.shell
                        page.leave()
                        shell.startService(flow)
                    }
                }
            }
        }
        // nothing found: the counter, where a person knows every service
        Column {
            objectName: "finder_none"
            width: parent.width
            spacing: page.theme ? page.theme.gap : 0
            visible: page.searching && page.found.length === 0
            KText {
                theme: page.theme
                width: parent.width
                text: qsTrId("ui.finder.none")
            }
            Rectangle {
                width: parent.width
                height: counter.implicitHeight + page.theme.gap * 2
                color: page.theme.card
                border.color: page.theme.alert
                border.width: 3
                radius: 12
                KText {
                    id: counter
                    objectName: "finder_counter"
                    theme: page.theme
                    anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: page.theme.gap }
                    color: page.theme.alert
                    text: "➜ " + qsTrId("flow.common.go_to_counter") + " "
                          + Screens.fill(qsTrId("ui.help.counter"), {"counter": page.shell.helpDesk.counter})
                }
            }
            KButton {
                objectName: "button_finder_help"
                theme: page.theme
                width: parent.width
                textId: "ui.finder.call_staff"
                onTapped: page.shell.showHelp(true)
            }
        }
    }
}
