import QtQuick
import "../parts"

// A form: one field at a time in big type, "1 of N" when there are several, the
// field's own label as the question. Digits (phone, ID number, numbers) come from
// the on-screen keypad, shown grouped as printed (138 0013 8000) and handed on
// plain; a checkbox is one big toggle. Errors sit right under their field.
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
    readonly property bool several: fields.length > 1
    // the address picker: province, city, district (GB/T 2260), then the street typed
    property var path: []  // [{code, name}] chosen so far
    property string district: ""
    readonly property var choices: address && district === "" ? kiosk.places(path.length ? path[path.length - 1].code : "") : []
    implicitHeight: form.implicitHeight

    // a value on file (the phone of a previous application: `known`, masked as the
    // confirm step shows it) is offered in one touch; "Enter another" types one
    readonly property string known: field && field.known ? String(field.known) : ""
    property var typingOther: ({})
    readonly property bool offering: known !== "" && !typingOther[field.id] && !problem(field.id)
    function typeOther() {
        var copy = Object.assign({}, typingOther); copy[field.id] = true; typingOther = copy
        focusField()
    }

    // how a number is read out and printed: a mobile 3-4-4, an ID number 6-8-4
    readonly property var groups: ({"phone": [3, 4, 4], "id_number": [6, 8, 4]})
    readonly property var lengths: ({"phone": 11, "id_number": 18})
    function grouped(kind, text) {
        var sizes = groups[kind]
        if (!sizes)
            return text
        var parts = [], at = 0
        for (var i = 0; i < sizes.length && at < text.length; i++) {
            parts.push(text.slice(at, at + sizes[i]))
            at += sizes[i]
        }
        if (at < text.length)
            parts.push(text.slice(at))
        return parts.join(" ")
    }
    readonly property string now: field ? String(value(field.id)) : ""
    readonly property int wanted: field && lengths[field.kind] ? lengths[field.kind] : 0
    // the confirm key waits for a whole number (11 digits, 18 characters)
    readonly property bool complete: wanted === 0 || now.length === wanted

    // the errors the shell sent, each until its field is changed; the form opens on
    // the first field in error
    property var problems: ({})
    property string problemsSeen: "{}"
    readonly property var sent: shell ? shell.errors : ({})
    onSentChanged: takeErrors()
    function takeErrors() {
        var seen = JSON.stringify(sent || {})
        if (seen === problemsSeen)
            return  // the same screen again (help, progress): what was corrected stays so
        problemsSeen = seen
        problems = Object.assign({}, sent)
        for (var i = 0; i < fields.length; i++) {
            if (problems[fields[i].id]) {
                current = i
                break
            }
        }
    }
    function problem(id) { return problems[id] ? problems[id] : "" }
    // another form step: nothing typed for the last one stays on the page
    readonly property string step: shell ? shell.stepId : ""
    onStepChanged: {
        entered = ({})
        typingOther = ({})
        current = 0
        path = []
        district = ""
        problemsSeen = "{}"
        takeErrors()
    }

    // a text field takes the focus, and with it the on-screen keyboard comes up
    function focusField() { if (field !== null && !offering && !numeric && (!address || district !== "")) input.forceActiveFocus() }
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
    Component.onCompleted: { takeErrors(); focusField() }

    function value(id) { return entered[id] === undefined ? "" : entered[id] }
    function put(id, v) {
        var copy = Object.assign({}, entered); copy[id] = v; entered = copy
        if (problems[id]) {  // changed: its error has been read and acted on
            var left = Object.assign({}, problems); delete left[id]; problems = left
        }
    }

    Column {
        id: form
        anchors.fill: parent
        spacing: page.theme ? page.theme.gap : 0
        visible: page.shell !== null && page.shell !== undefined && page.field !== null
        // one field: the step's question, then the field's name; several: the
        // step, which field of how many, and the field's own name as the question
        KText {
            theme: page.theme
            heading: !page.several
            font.bold: true
            width: parent.width
            text: page.shell ? qsTrId(page.shell.textId) : ""
        }
        KText {
            objectName: "field_counter"
            theme: page.theme
            width: parent.width
            visible: page.several
            color: page.theme ? page.theme.quiet : "#44505E"
            text: page.several ? Screens.fill(qsTrId("ui.form.counter"), {"n": page.current + 1, "total": page.fields.length}) : ""
        }
        KText {
            objectName: "field_label"
            theme: page.theme
            heading: page.several
            width: parent.width
            text: page.field ? qsTrId(page.field.label) : ""
        }
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
            visible: page.address && page.district === "" && !page.offering
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
            visible: page.field !== null && page.field.kind !== "checkbox" && (!page.address || page.district !== "") && !page.offering
            color: page.theme ? page.theme.card : "white"
            border.color: page.field && page.problem(page.field.id) ? page.theme.alert : (page.theme ? page.theme.brand : "blue")
            border.width: 3
            radius: 8
            TextInput {
                id: input
                objectName: "field_input"
                anchors { fill: parent; margins: page.theme ? page.theme.gap / 2 : 8 }
                // numbers come from the keypad below; letters from the on-screen keyboard
                readOnly: page.field !== null && page.numeric
                focus: page.field !== null && !page.offering && !page.numeric && (!page.address || page.district !== "")
                verticalAlignment: TextInput.AlignVCenter
                // personal data: the keyboard learns nothing of it (Qt's pinyin engine
                // turns its user dictionary off) and predicts nothing from it
                inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText | Qt.ImhNoAutoUppercase
                font.pixelSize: page.theme ? page.theme.title : 40
                color: page.theme ? page.theme.ink : "black"
                // numbers grouped as printed; the value itself stays plain
                text: page.field ? (page.numeric ? page.grouped(page.field.kind, String(page.value(page.field.id))) : page.value(page.field.id)) : ""
                onTextEdited: page.put(page.field.id, text)
            }
        }
        KText {
            objectName: "field_error"
            theme: page.theme
            width: parent.width
            color: page.theme ? page.theme.alert : "red"
            visible: text !== ""
            text: page.field && page.problem(page.field.id) ? "⚠ " + qsTrId(page.problem(page.field.id)) : ""
        }
        KButton {
            objectName: page.field ? "toggle_" + page.field.id : ""
            theme: page.theme
            width: parent.width
            visible: page.field !== null && page.field.kind === "checkbox" && !page.offering
            label: (page.field && page.value(page.field.id) === true ? "☑ " : "☐ ") + qsTrId("ui.checkbox.yes")
            onTapped: page.put(page.field.id, !(page.value(page.field.id) === true))
        }
        Keypad {
            theme: page.theme
            width: parent.width
            visible: page.numeric && !page.offering
            allowX: page.field !== null && page.field.kind === "id_number"
            clearable: true
            full: page.wanted > 0 && page.now.length >= page.wanted
            xReady: page.wanted > 0 && page.now.length === page.wanted - 1
            onKey: function(k) {
                var now = page.now
                if (k === "clear")
                    page.put(page.field.id, "")
                else if (k === "⌫")
                    page.put(page.field.id, now.slice(0, -1))
                else if (page.wanted === 0 || now.length < page.wanted)
                    page.put(page.field.id, now + k)
            }
        }
        KButton {  // the value on file, in one touch
            objectName: "button_use_known"
            theme: page.theme
            primary: true
            width: parent.width
            visible: page.offering
            label: page.offering ? Screens.fill(qsTrId("ui.form.use_known"), {"known": Screens.ltr(page.known)}) : ""
            onTapped: { page.put(page.field.id, ""); page.advance() }  // empty: the engine takes the one on file
        }
        KButton {
            objectName: "button_type_other"
            theme: page.theme
            width: parent.width
            visible: page.offering
            textId: "ui.form.type_other"
            onTapped: page.typeOther()
        }
        KButton {
            objectName: "button_next"
            theme: page.theme
            primary: true
            width: parent.width
            visible: !page.offering
            textId: page.current < page.fields.length - 1 ? "ui.next" : "ui.submit"
            enabledState: page.complete
            onTapped: page.advance()
        }
    }

    // the next field, or the form's values to the shell
    function advance() {
        if (current < fields.length - 1) {
            current += 1
            return
        }
        var out = {}
        for (var i = 0; i < fields.length; i++) {
            var f = fields[i], typed = value(f.id)
            out[f.id] = f.kind === "checkbox" ? typed === true
                      : f.kind === "address" && typed !== "" ? district + " " + String(typed)
                      : String(typed)
        }
        // an error sent back opens its field (even the same error again); a next
        // step clears the page
        problemsSeen = ""
        shell.answer(out)
    }
}
