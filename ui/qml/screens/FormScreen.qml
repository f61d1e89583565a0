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
    readonly property bool address: field !== null && field.kind === "address"
    // the address picker: province, city, district (GB/T 2260), then the street typed
    property var path: []  // [{code, name}] chosen so far
    property string district: ""
    readonly property var choices: address && district === "" ? kiosk.places(path.length ? path[path.length - 1].code : "") : []

    // a text field takes the focus, and with it the on-screen keyboard comes up
    function focusField() { if (field !== null && !numeric && (!address || district !== "")) input.forceActiveFocus() }
    function choose(place) {
        var next = path.concat([place])
        if (kiosk.places(place.code).length === 0) {  // a district: now the street
            district = place.code
            path = next
            focusField()
        } else {
            path = next
        }
    }
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
        KText {
            objectName: "address_path"
            theme: page.theme
            width: parent.width
            visible: page.address && page.path.length > 0
            font.bold: true
            text: page.path.map(function(p) { return p.name }).join(" › ")
        }
        Flickable {  // 34 provinces do not fit: the list scrolls
            width: parent.width
            height: Math.min(places.height, page.height * 0.5)
            contentHeight: places.height
            clip: true
            visible: page.address && page.district === ""
            Grid {
                id: places
                columns: 3
                spacing: page.theme ? page.theme.gap / 2 : 8
                width: parent.width
                Repeater {
                    model: page.choices
                    delegate: KButton {
                        required property var modelData
                        objectName: "place_" + modelData.code
                        theme: page.theme
                        width: (places.width - places.spacing * 2) / 3
                        implicitWidth: page.theme ? page.theme.target : 0
                        label: modelData.name
                        onTapped: page.choose(modelData)
                    }
                }
            }
        }
        Rectangle {
            objectName: page.field ? "field_" + page.field.id : ""
            width: parent.width
            height: page.theme ? page.theme.target : 80
            visible: page.field !== null && page.field.kind !== "checkbox" && (!page.address || page.district !== "")
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
                focus: page.field !== null && !page.numeric && (!page.address || page.district !== "")
                verticalAlignment: TextInput.AlignVCenter
                // personal data: the keyboard learns nothing of it (Qt's pinyin engine
                // turns its user dictionary off) and predicts nothing from it
                inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText | Qt.ImhNoAutoUppercase
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
                        out[f.id] = f.kind === "checkbox" ? page.value(f.id) === true
                                  : f.kind === "address" ? page.district + " " + String(page.value(f.id))
                                  : String(page.value(f.id))
                    }
                    page.current = 0
                    page.path = []
                    page.district = ""
                    page.shell.answer(out)
                }
            }
        }
    }
}
