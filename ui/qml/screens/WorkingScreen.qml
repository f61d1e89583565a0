import QtQuick
import "../parts"

// The kiosk is busy for the citizen (checking, printing, writing the chip).
Item {
    id: page
    property var shell: kiosk
    readonly property var theme: kiosk.style
    Column {
        anchors.centerIn: parent
        width: parent.width
        spacing: page.theme ? page.theme.gap : 0
        visible: page.shell !== null && page.shell !== undefined
        KText { theme: page.theme; heading: true; width: parent.width; horizontalAlignment: Text.AlignHCenter; text: page.shell ? qsTrId(page.shell.textId) : "" }
        Drawing {  // printing: the slip coming out of the printer's slot
            id: printer
            visible: page.shell !== null && page.shell !== undefined && page.shell.stepType === "print"
            theme: page.theme
            kind: "print"
            params: page.shell ? page.shell.params : ({})
            slots: page.shell ? page.shell.slots : ({})
            width: parent.width
            height: Math.min(parent.width, page.height * 0.6)
        }
        KText {  // where the slip comes out, in words (the arrow points there)
            objectName: "slot_where"
            theme: page.theme
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            font.bold: true
            visible: printer.visible
            text: visible ? Screens.fill(qsTrId("ui.slot." + printer.position.replace("-", "_")),
                                         {"device": qsTrId("ui.slot.device." + printer.device)}) : ""
        }
        Item {
            visible: !printer.visible
            width: parent.width
            height: page.theme ? page.theme.target * 2 : 100
            Rectangle {
                id: spinner
                anchors.centerIn: parent
                width: page.theme ? page.theme.target * 1.5 : 100
                height: width
                radius: width / 2
                color: "transparent"
                border.width: 10
                border.color: page.theme ? page.theme.brand : "blue"
                Rectangle { width: 24; height: 24; radius: 12; color: page.theme ? page.theme.alert : "red"; x: parent.width / 2 - 12; y: -7 }
                RotationAnimation on rotation { from: 0; to: 360; duration: 1600; loops: Animation.Infinite }
            }
        }
        KText {  // the chip is written: now the endorsement goes onto the card's back
            objectName: "card_back_news"
            theme: page.theme
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
            visible: page.shell !== null && page.shell !== undefined && page.shell.progress.card_back === "printing"
            text: visible ? qsTrId("ui.working.card_back") : ""
        }
        KText { theme: page.theme; width: parent.width; horizontalAlignment: Text.AlignHCenter; text: qsTrId("ui.working.wait") }
    }
}
