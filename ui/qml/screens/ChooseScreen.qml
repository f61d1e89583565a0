import QtQuick
import "../parts"

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
            model: page.shell ? page.shell.params.options : []
            delegate: KButton {
                required property var modelData
                objectName: "option_" + modelData.id
                theme: page.theme
                width: parent.width
                textId: modelData.text
                onTapped: page.shell.answer(modelData.id)
            }
        }
    }
}
