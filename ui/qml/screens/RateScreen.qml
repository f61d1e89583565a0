import QtQuick
import "../parts"

// Five levels, each a word as well as a number: colour is never the only sign.
Item {
    id: page
    property var shell: kiosk
    readonly property var theme: kiosk.style
    Column {
        anchors.fill: parent
        spacing: page.theme ? page.theme.gap : 0
        visible: page.shell !== null && page.shell !== undefined
        KText { theme: page.theme; heading: true; width: parent.width; text: page.shell ? qsTrId(page.shell.textId) : "" }
        Repeater {
            model: [5, 4, 3, 2, 1]
            delegate: KButton {
                required property int modelData
                objectName: "rate_" + modelData
                theme: page.theme
                width: parent.width
                label: "★".repeat(modelData) + "  " + qsTrId("ui.rate." + modelData)
                onTapped: page.shell.answer(modelData)
            }
        }
    }
}
