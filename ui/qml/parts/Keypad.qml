import QtQuick

// Big digit keys for numbers: no typing on a letter keyboard for a phone number.
// Delete takes one back, Clear takes all (one touch); X (ID numbers) only where it
// may stand, and no digit once the number is whole.
Column {
    id: pad
    property var theme
    property bool allowX: false
    property bool clearable: false  // a Clear key (forms; the technicians' PIN has none)
    property bool full: false    // the number has all its characters: digits rest
    property bool xReady: false  // an ID number's last character: X may come
    signal key(string k)         // a digit, "X", "⌫" (delete one) or "clear"
    LayoutMirroring.enabled: false  // digits read left to right in every language
    LayoutMirroring.childrenInherit: true
    spacing: theme ? theme.gap / 2 : 8
    readonly property real keyWidth: (width - spacing * 2) / 3

    Grid {
        columns: 3
        spacing: pad.spacing
        Repeater {
            // the bottom row's left key: X for ID numbers, else Clear
            model: ["1", "2", "3", "4", "5", "6", "7", "8", "9", pad.allowX ? "X" : pad.clearable ? "clear" : "", "0", "⌫"]
            delegate: KButton {
                required property string modelData
                objectName: "key_" + (modelData === "⌫" ? "delete" : modelData)
                theme: pad.theme
                width: pad.keyWidth
                implicitWidth: pad.theme ? pad.theme.target : 0
                implicitHeight: pad.theme ? pad.theme.target : 0
                primary: false
                label: modelData === "clear" ? qsTrId("ui.keypad.clear") : modelData
                enabledState: modelData === "X" ? pad.xReady
                            : (modelData >= "0" && modelData <= "9") ? !pad.full : true
                Accessible.name: modelData === "⌫" ? qsTrId("ui.keypad.delete") : label
                visible: modelData !== ""
                onTapped: pad.key(modelData)
            }
        }
    }
    KButton {  // ID numbers: Clear on a row of its own (X took its place)
        objectName: "key_clear"
        theme: pad.theme
        width: pad.width
        visible: pad.allowX && pad.clearable
        label: qsTrId("ui.keypad.clear")
        onTapped: pad.key("clear")
    }
}
