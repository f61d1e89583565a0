import QtQuick
import "../parts"

// A message to read (with where to go instead, if any), or the end of a service.
Item {
    id: page
    property var shell: kiosk
    readonly property var theme: kiosk.style
    readonly property bool finished: shell ? shell.stepType === "done" : false
    Column {
        anchors.fill: parent
        spacing: page.theme ? page.theme.gap : 0
        visible: page.shell !== null && page.shell !== undefined
        KText { theme: page.theme; heading: true; width: parent.width; text: page.shell ? qsTrId(page.shell.textId) : "" }
        KText {
            theme: page.theme
            width: parent.width
            visible: text !== ""
            // {placeholders} filled from the step's `values` (a day, a site: never personal)
            text: page.shell && page.shell.params.message
                  ? Screens.fill(qsTrId(page.shell.params.message), page.shell.params.filled || {}) : ""
        }
        Rectangle {
            width: parent.width
            visible: page.shell !== null && page.shell !== undefined && !!page.shell.params.referral
            height: visible ? referral.implicitHeight + page.theme.gap * 2 : 0
            color: page.theme ? page.theme.card : "white"
            border.color: page.theme ? page.theme.alert : "red"
            border.width: 3
            radius: 12
            KText {
                id: referral
                theme: page.theme
                anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: page.theme.gap }
                color: page.theme ? page.theme.alert : "red"
                text: page.shell && page.shell.params.referral ? "➜ " + qsTrId(page.shell.params.referral) : ""
            }
        }
        KButton {
            objectName: page.finished ? "button_finish" : "button_continue"
            theme: page.theme
            primary: true
            width: parent.width
            textId: page.finished ? "ui.finish" : "ui.continue"
            onTapped: page.shell.answer(page.finished ? "finish" : "continue")
        }
    }
}
