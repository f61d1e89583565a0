import QtQuick
import "../parts"

// The one screen that shows collected values in full: the citizen checks them.
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
            model: page.shell ? page.shell.values : []
            delegate: Rectangle {
                required property var modelData
                width: parent.width
                height: row.implicitHeight + page.theme.gap
                color: page.theme.card
                radius: 8
                Column {
                    id: row
                    anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: page.theme.gap / 2 }
                    KText { theme: page.theme; width: parent.width; color: page.theme.quiet; text: qsTrId(modelData.label) }
                    KText { objectName: "value_" + modelData.name; theme: page.theme; width: parent.width; font.bold: true; text: modelData.valueId ? qsTrId(modelData.valueId) : modelData.value }
                }
            }
        }
        KButton {
            objectName: "button_confirm"
            theme: page.theme
            primary: true
            width: parent.width
            textId: page.shell && page.shell.params.button ? page.shell.params.button : "ui.confirm"
            onTapped: page.shell.answer("confirm")
        }
    }
}
