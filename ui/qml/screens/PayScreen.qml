import QtQuick
import "../parts"

// Payment: show the payment code to the scanner (or use a bank card); the amount
// in large figures; the result comes from the payment service.
Item {
    id: page
    property var shell: kiosk
    readonly property var theme: kiosk.style
    readonly property var amount: shell ? shell.params.amount : 0
    // the citizen chose the bank card (or the terminal takes nothing else)
    readonly property bool byCard: shell !== null && shell !== undefined && shell.progress.method === "bank_card"
    Column {
        anchors.fill: parent
        spacing: page.theme ? page.theme.gap : 0
        visible: page.shell !== null && page.shell !== undefined
        KText { theme: page.theme; heading: true; width: parent.width; text: page.shell ? qsTrId(page.shell.textId) : "" }
        KText {
            objectName: "pay_amount"
            theme: page.theme
            width: parent.width
            font.pixelSize: page.theme ? page.theme.title * 1.5 : 60
            font.bold: true
            visible: typeof page.amount === "number"
            text: Screens.fill(qsTrId("ui.pay.amount"), {"yuan": typeof page.amount === "number" ? page.amount.toFixed(2) : ""})
        }
        KText { objectName: "pay_how"; theme: page.theme; width: parent.width; text: qsTrId(page.byCard ? "ui.pay.card_insert" : "ui.pay.show_code") }
        Rectangle {
            anchors.horizontalCenter: parent.horizontalCenter
            width: page.theme ? page.theme.target * 3 : 300
            height: width
            radius: 16
            color: page.theme ? page.theme.card : "white"
            border.color: page.theme ? page.theme.brand : "blue"
            border.width: 4
            KText { anchors.centerIn: parent; theme: page.theme; text: "▣ ➜ ▤" }
        }
        KButton {
            objectName: "button_bank_card"
            theme: page.theme
            width: parent.width
            visible: page.shell !== null && page.shell !== undefined && page.shell.cardPayment
            textId: "ui.pay.bank_card"
            onTapped: page.shell.payByCard()
        }
        KText {
            objectName: "pay_seconds"
            theme: page.theme
            width: parent.width
            visible: page.shell && page.shell.secondsLeft >= 0
            text: page.shell ? Screens.fill(qsTrId("ui.pay.seconds"), {"seconds": page.shell.secondsLeft}) : ""
        }
    }
}
