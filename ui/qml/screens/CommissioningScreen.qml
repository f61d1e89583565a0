import QtQuick
import "../parts"

// First boot (kiosk/commissioning.py): the terminal has no identity. The maintenance
// PIN, then the backend's address and the enrolment code, then how enrolment, each
// device's self-test and the commissioning slip went. No citizen service from here.
Item {
    id: page
    readonly property var theme: kiosk.style
    readonly property var job: kiosk.commissioning
    readonly property string stage: job ? job.stage : ""
    property string pin: ""
    implicitHeight: content.implicitHeight

    function problem(field) {
        return page.job && page.job.message && page.job.messageField === field ? "⚠ " + qsTrId(page.job.message) : ""
    }
    function outcome(row) {
        if (row.state === "")
            return "… " + qsTrId("ui.commission.testing_one")
        return row.state === "passed" ? "✓ " + qsTrId("ui.commission.passed")
                                       : "✗ " + Screens.fill(qsTrId("ui.commission.failed"), {"outcome": Screens.ltr(row.outcome)})
    }
    // the form takes the keyboard; past it the keyboard goes down, so the results
    // and the last button are not under it
    onStageChanged: {
        if (stage === "form") {
            // back from a refusal: on the field the line under it is about
            var field = page.job && page.job.messageField === "code" ? codeInput : urlInput
            Qt.callLater(function() { field.forceActiveFocus() })
        } else {
            urlInput.focus = false
            codeInput.focus = false
            Qt.inputMethod.hide()
        }
    }

    Column {
        id: content
        anchors { left: parent.left; right: parent.right }
        spacing: page.theme.gap
        KText { theme: page.theme; heading: true; width: parent.width; text: qsTrId("ui.commission.title") }

        // no PIN configured: nobody can commission this terminal, and it says so
        KText {
            objectName: "commission_no_pin"
            theme: page.theme
            width: parent.width
            visible: page.stage === "no_pin"
            color: page.theme.alert
            text: "⚠ " + qsTrId("ui.commission.no_pin")
        }

        // the PIN, as at the technicians' desk
        Column {
            width: parent.width
            spacing: page.theme.gap
            visible: page.stage === "pin"
            KText { theme: page.theme; width: parent.width; text: qsTrId("ui.commission.intro") }
            KText { theme: page.theme; width: parent.width; font.bold: true; text: qsTrId("ui.maintenance.pin") }
            KText { objectName: "pin_dots"; theme: page.theme; width: parent.width; font.pixelSize: page.theme.title; text: "●".repeat(page.pin.length) + " " }
            KText {
                objectName: "pin_message"
                theme: page.theme
                width: parent.width
                color: page.theme.alert
                visible: text !== ""
                text: page.job && page.job.message ? "⚠ " + qsTrId(page.job.message) : ""
            }
            Keypad {
                theme: page.theme
                width: parent.width
                onKey: function(k) { page.pin = k === "⌫" ? page.pin.slice(0, -1) : (page.pin + k).slice(0, 12) }
            }
            KButton { objectName: "button_pin_enter"; theme: page.theme; primary: true; textId: "ui.maintenance.open"; onTapped: { page.job.enter(page.pin); page.pin = "" } }
        }

        // the backend's address and the enrolment code, on the on-screen keyboard
        Column {
            width: parent.width
            spacing: page.theme.gap / 2
            visible: page.stage === "form"
            KText { theme: page.theme; width: parent.width; font.bold: true; text: qsTrId("ui.commission.url") }
            Rectangle {
                width: parent.width
                height: page.theme.target
                color: page.theme.card
                border.color: page.problem("url") ? page.theme.alert : page.theme.brand
                border.width: 3
                radius: 8
                TextInput {
                    id: urlInput
                    objectName: "commission_url"
                    anchors { fill: parent; margins: page.theme.gap / 2 }
                    verticalAlignment: TextInput.AlignVCenter
                    horizontalAlignment: TextInput.AlignLeft
                    LayoutMirroring.enabled: false  // an address reads left to right
                    inputMethodHints: Qt.ImhUrlCharacters | Qt.ImhLatinOnly | Qt.ImhNoPredictiveText | Qt.ImhNoAutoUppercase
                    font.pixelSize: page.theme.text
                    color: page.theme.ink
                    clip: true
                    text: page.job ? page.job.backendUrl : ""
                }
            }
            KText { objectName: "commission_url_error"; theme: page.theme; width: parent.width; color: page.theme.alert; visible: text !== ""; text: page.problem("url") }
            KText { theme: page.theme; width: parent.width; font.bold: true; text: qsTrId("ui.commission.code") }
            KText {  // the example kept whole and left to right (Screens.ltr)
                theme: page.theme
                width: parent.width
                color: page.theme.quiet
                font.pixelSize: page.theme.small
                text: Screens.fill(qsTrId("ui.commission.code_hint"), {"example": Screens.ltr("ABCD‑EFGH‑JKLM‑NPQR")})
            }
            Rectangle {
                width: parent.width
                height: page.theme.target
                color: page.theme.card
                border.color: page.problem("code") ? page.theme.alert : page.theme.brand
                border.width: 3
                radius: 8
                TextInput {
                    id: codeInput
                    objectName: "commission_code"
                    anchors { fill: parent; margins: page.theme.gap / 2 }
                    verticalAlignment: TextInput.AlignVCenter
                    horizontalAlignment: TextInput.AlignLeft
                    LayoutMirroring.enabled: false
                    // a one-time secret: the keyboard learns nothing of it
                    inputMethodHints: Qt.ImhSensitiveData | Qt.ImhLatinOnly | Qt.ImhNoPredictiveText | Qt.ImhNoAutoUppercase
                    font.pixelSize: page.theme.text
                    color: page.theme.ink
                    font.capitalization: Font.AllUppercase
                }
            }
            KText { objectName: "commission_code_error"; theme: page.theme; width: parent.width; color: page.theme.alert; visible: text !== ""; text: page.problem("code") }
            KButton {
                objectName: "button_commission_submit"
                theme: page.theme
                primary: true
                width: parent.width
                textId: "ui.commission.submit"
                onTapped: { Qt.inputMethod.commit(); page.job.submit(urlInput.text, codeInput.text) }
            }
        }

        // enrolling, the self-tests, the slip, and the end (its button above the
        // devices' list, which may run off the screen)
        Column {
            width: parent.width
            spacing: page.theme.gap / 2
            visible: page.stage === "working" || page.stage === "done"
            KText {
                objectName: "commission_doing"
                theme: page.theme
                width: parent.width
                font.bold: true
                heading: page.stage === "done"
                text: page.stage === "done" ? qsTrId("ui.commission.done")
                    : page.job && page.job.doing ? qsTrId("ui.commission." + page.job.doing) : ""
            }
            KText {
                objectName: "commission_terminal"
                theme: page.theme
                width: parent.width
                visible: page.job !== null && page.job.terminalId !== ""
                text: page.job ? Screens.fill(qsTrId("ui.commission.terminal"), {"terminal": Screens.ltr(page.job.terminalId)}) : ""
            }
            KText {
                objectName: "commission_printed"
                theme: page.theme
                width: parent.width
                visible: page.stage === "done"
                color: page.job && page.job.printed !== "printed" ? page.theme.alert : page.theme.ink
                text: !page.job || page.stage !== "done" ? ""
                    : page.job.printed === "printed" ? qsTrId("ui.commission.printed")
                    : "⚠ " + Screens.fill(qsTrId("ui.commission.not_printed"), {"outcome": Screens.ltr(page.job.printed)})
            }
            KButton {
                objectName: "button_commission_finish"
                theme: page.theme
                primary: true
                width: parent.width
                visible: page.stage === "done"
                textId: "ui.commission.finish"
                onTapped: page.job.finish()
            }
            KText { theme: page.theme; width: parent.width; font.bold: true; visible: page.job !== null && page.job.results.length > 0; text: qsTrId("ui.maintenance.devices") }
            Repeater {
                model: page.job ? page.job.results : []
                delegate: KText {
                    required property var modelData
                    objectName: "commission_result_" + modelData.name
                    theme: page.theme
                    width: page.width
                    color: modelData.state === "failed" ? page.theme.alert : page.theme.ink
                    text: Screens.ltr(modelData.name) + "  " + page.outcome(modelData)
                }
            }
        }
    }
}
