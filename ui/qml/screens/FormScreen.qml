import QtQuick
import "../parts"

// A form: one field at a time in big type. Digits (phone, ID number, numbers) come
// from the on-screen keypad; a checkbox is one big toggle. Errors sit by their field.
Item {
    id: page
    property var shell: kiosk
    readonly property var theme: kiosk.style
    readonly property var fields: shell ? shell.params.fields : []
    property var entered: ({})
    property int current: 0
    readonly property var field: fields.length > current ? fields[current] : null
    readonly property bool numeric: field !== null && ["digits", "phone", "id_number", "date"].indexOf(field.kind) >= 0

    // a text field takes the focus, and with it the on-screen keyboard comes up
    function focusField() { if (field !== null && !numeric) input.forceActiveFocus() }
    onFieldChanged: focusField()
    Component.onCompleted: focusField()

    function value(id) { return entered[id] === undefined ? "" : entered[id] }
    function put(id, v) { var copy = Object.assign({}, entered); copy[id] = v; entered = copy }

    Column {
        anchors.fill: parent
        spacing: page.theme ? page.theme.gap : 0
        visible: page.shell !== null && page.shell !== undefined && page.field !== null
        KText { theme: page.theme; heading: true; width: parent.width; text: page.shell ? qsTrId(page.shell.textId) : "" }
        KText { theme: page.theme; width: parent.width; text: page.field ? qsTrId(page.field.label) : "" }
        Rectangle {
            objectName: page.field ? "field_" + page.field.id : ""
            width: parent.width
            height: page.theme ? page.theme.target : 80
            visible: page.field !== null && page.field.kind !== "checkbox"
            color: page.theme ? page.theme.card : "white"
            border.color: page.shell && page.field && page.shell.errors[page.field.id] ? page.theme.alert : (page.theme ? page.theme.brand : "blue")
            border.width: 3
            radius: 8
            TextInput {
                id: input
                objectName: "field_input"
                anchors { fill: parent; margins: page.theme ? page.theme.gap / 2 : 8 }
                // numbers come from the keypad below; letters from the on-screen keyboard
                readOnly: page.field !== null && page.numeric
                focus: page.field !== null && !page.numeric
                verticalAlignment: TextInput.AlignVCenter
                font.pixelSize: page.theme ? page.theme.title : 40
                color: page.theme ? page.theme.ink : "black"
                text: page.field ? page.value(page.field.id) : ""
                onTextEdited: page.put(page.field.id, text)
            }
        }
        KText {
            objectName: "field_error"
            theme: page.theme
            width: parent.width
            color: page.theme ? page.theme.alert : "red"
            visible: text !== ""
            text: page.shell && page.field && page.shell.errors[page.field.id] ? "⚠ " + qsTrId(page.shell.errors[page.field.id]) : ""
        }
        KButton {
            objectName: page.field ? "toggle_" + page.field.id : ""
            theme: page.theme
            width: parent.width
            visible: page.field !== null && page.field.kind === "checkbox"
            label: (page.field && page.value(page.field.id) === true ? "☑ " : "☐ ") + qsTrId("ui.checkbox.yes")
            onTapped: page.put(page.field.id, !(page.value(page.field.id) === true))
        }
        Keypad {
            theme: page.theme
            width: parent.width
            visible: page.numeric
            allowX: page.field !== null && page.field.kind === "id_number"
            onKey: function(k) {
                var now = page.value(page.field.id)
                page.put(page.field.id, k === "⌫" ? now.slice(0, -1) : now + k)
            }
        }
        KButton {
            objectName: "button_next"
            theme: page.theme
            primary: true
            width: parent.width
            textId: page.current < page.fields.length - 1 ? "ui.next" : "ui.submit"
            onTapped: {
                if (page.current < page.fields.length - 1) {
                    page.current += 1
                } else {
                    var out = {}
                    for (var i = 0; i < page.fields.length; i++) {
                        var f = page.fields[i]
                        out[f.id] = f.kind === "checkbox" ? page.value(f.id) === true : String(page.value(f.id))
                    }
                    page.current = 0
                    page.shell.answer(out)
                }
            }
        }
    }
}
