import QtQuick

// Big digit keys for numbers: no typing on a letter keyboard for a phone number.
Grid {
    id: pad
    property var theme
    property bool allowX: false
    signal key(string k)
    columns: 3
    LayoutMirroring.enabled: false  // digits read left to right in every language
    LayoutMirroring.childrenInherit: true
    spacing: theme ? theme.gap / 2 : 8
    Repeater {
        model: ["1", "2", "3", "4", "5", "6", "7", "8", "9", pad.allowX ? "X" : "", "0", "⌫"]
        delegate: KButton {
            required property string modelData
            objectName: "key_" + (modelData === "⌫" ? "delete" : modelData)
            theme: pad.theme
            width: (pad.width - pad.spacing * 2) / 3
            implicitWidth: pad.theme ? pad.theme.target : 0
            label: modelData
            visible: modelData !== ""
            onTapped: pad.key(modelData)
        }
    }
}
