import QtQuick

Rectangle {
    id: footer
    property var shell: kiosk
    readonly property var theme: kiosk.style
    height: theme.target + theme.gap * 2
    color: theme.card
    border.color: theme.line
    Row {
        anchors.centerIn: parent
        spacing: footer.theme.gap
        KButton {
            objectName: "button_back"
            theme: footer.theme
            textId: "ui.back"
            visible: footer.shell.canGoBack
            onTapped: footer.shell.back()
        }
        KButton {
            objectName: "button_replay"
            theme: footer.theme
            textId: "ui.replay"
            onTapped: footer.shell.replay()
        }
        KButton {
            objectName: "button_cancel"
            theme: footer.theme
            textId: "ui.cancel"
            // nothing left to cancel once the service finished (done, refunded, cancelled),
            // nor on the home screen (a group of services open: Back)
            visible: footer.shell.stepType !== "done" && footer.shell.screen !== "home"
            onTapped: footer.shell.cancel()
        }
    }
}
