import QtQuick

// The card transport's storage slots on the technicians' desk (ui/slot_desk.py):
// the slot map (what the unit says, what the pickup reference is), a slot chosen and
// the reference typed, then Load / Empty to the gate / Retain bin emptied, and how
// the last action ended (the alert colour when it did not go as asked).
Column {
    id: panel
    property var theme
    property var slots  // the SlotDesk
    property string reference: ""
    spacing: theme ? theme.gap / 2 : 8
    readonly property int columns: 4
    readonly property real tileWidth: (width - (columns - 1) * spacing) / columns

    Connections {  // a reference loaded is not typed again for the next document by mistake
        target: panel.slots
        function onChanged() {
            if (panel.slots.message === "desk.slots.loaded")
                panel.reference = ""
        }
    }
    KText { theme: panel.theme; heading: true; width: panel.width; text: qsTrId("desk.slots.title") }
    KText {
        objectName: "slots_bin"
        theme: panel.theme
        width: panel.width
        text: Screens.fill(qsTrId("desk.slots.bin"), {"count": panel.slots ? panel.slots.binCount : ""})
    }
    Grid {
        columns: panel.columns
        spacing: panel.spacing
        Repeater {
            model: panel.slots ? panel.slots.slots : []
            delegate: Rectangle {
                id: tile
                required property var modelData
                readonly property bool chosen: panel.slots && panel.slots.selected === modelData.number
                readonly property color ink: chosen ? panel.theme.onBrand : panel.theme.ink
                objectName: "slot_" + modelData.number
                width: panel.tileWidth
                height: tileText.implicitHeight + panel.theme.gap
                radius: 12
                color: chosen ? panel.theme.brand : panel.theme.card
                border.width: 3
                border.color: modelData.stale ? panel.theme.alert : panel.theme.brand
                Column {
                    id: tileText
                    anchors.centerIn: parent
                    width: parent.width - panel.theme.gap
                    Text {
                        width: parent.width
                        horizontalAlignment: Text.AlignHCenter
                        font.pixelSize: panel.theme.text
                        font.bold: true
                        color: tile.ink
                        text: Screens.fill(qsTrId("desk.slots.number"), {"number": tile.modelData.number})
                    }
                    Text {
                        objectName: "slot_state_" + tile.modelData.number
                        width: parent.width
                        horizontalAlignment: Text.AlignHCenter
                        font.pixelSize: panel.theme.small
                        color: tile.ink
                        wrapMode: Text.WordWrap
                        text: qsTrId("desk.slots.state." + tile.modelData.held)
                    }
                    Text {
                        objectName: "slot_ref_" + tile.modelData.number
                        width: parent.width
                        horizontalAlignment: Text.AlignHCenter
                        font.pixelSize: panel.theme.small
                        color: tile.modelData.stale && !tile.chosen ? panel.theme.alert : tile.ink
                        wrapMode: Text.WrapAnywhere
                        text: tile.modelData.stale ? "⚠ " + Screens.fill(qsTrId("desk.slots.stale"), {"ref": tile.modelData.ref})
                            : tile.modelData.ref !== "" ? tile.modelData.ref
                            : tile.modelData.held === "yes" ? qsTrId("desk.slots.unrecorded") : "—"
                    }
                }
                MouseArea { anchors.fill: parent; onClicked: panel.slots.select(tile.modelData.number) }
            }
        }
    }
    KText {
        objectName: "slots_message"
        theme: panel.theme
        width: panel.width
        visible: text !== ""
        font.bold: true
        color: panel.slots && panel.slots.messageOk ? panel.theme.ink : panel.theme.alert
        text: panel.slots && panel.slots.message !== ""
              ? (panel.slots.messageOk ? "" : "⚠ ") + Screens.fill(qsTrId(panel.slots.message), panel.slots.messageValues)
              : ""
    }
    KText { theme: panel.theme; width: panel.width; text: qsTrId("desk.slots.reference") }
    KText {
        objectName: "slots_reference"
        theme: panel.theme
        width: panel.width
        font.pixelSize: panel.theme.title
        text: panel.reference !== "" ? panel.reference : "—"
    }
    Keypad {
        theme: panel.theme
        width: panel.width
        clearable: true
        full: panel.reference.length >= 14
        onKey: function(k) {
            panel.reference = k === "⌫" ? panel.reference.slice(0, -1) : k === "clear" ? "" : (panel.reference + k).slice(0, 14)
        }
    }
    Row {
        spacing: panel.spacing
        KButton {
            objectName: "button_slot_load"
            theme: panel.theme
            primary: true
            enabledState: panel.slots && !panel.slots.working
            textId: "desk.slots.button.load"
            onTapped: panel.slots.load(panel.reference)
        }
        KButton {
            objectName: "button_slot_empty"
            theme: panel.theme
            enabledState: panel.slots && !panel.slots.working
            textId: "desk.slots.button.empty"
            onTapped: panel.slots.empty()
        }
    }
    Row {
        spacing: panel.spacing
        KButton {
            objectName: "button_bin_emptied"
            theme: panel.theme
            enabledState: panel.slots && !panel.slots.working
            textId: "desk.slots.button.bin"
            onTapped: panel.slots.binEmptied()
        }
        KButton {
            objectName: "button_slot_cancel"
            theme: panel.theme
            visible: panel.slots && panel.slots.working
            textId: "desk.slots.button.cancel"
            onTapped: panel.slots.cancel()
        }
        KButton {
            objectName: "button_slots_back"
            theme: panel.theme
            textId: "desk.slots.button.back"
            onTapped: { panel.reference = ""; panel.slots.hide() }
        }
    }
}
