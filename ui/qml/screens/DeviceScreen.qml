import QtQuick
import "../parts"

// A step a device serves: what to do (place the card, show the code, look at the
// camera, take the card back), with a drawing of where and how; the device answers.
Item {
    id: page
    property var shell: kiosk
    readonly property var theme: kiosk.style
    readonly property string kind: shell ? shell.stepType : ""
    // the height of everything but the drawing, which takes the rest
    readonly property real textHeight: {
        var sum = 0, shown = 0
        for (var i = 0; i < column.children.length; i++) {
            var child = column.children[i]
            if (child === picture || !child.visible) continue
            sum += child.height
            shown += 1
        }
        return sum + shown * column.spacing
    }
    Column {
        id: column
        anchors.fill: parent
        spacing: page.theme ? page.theme.gap : 0
        visible: page.shell !== null && page.shell !== undefined
        KText { theme: page.theme; heading: true; width: parent.width; text: page.shell ? qsTrId(page.shell.textId) : "" }
        // the face check: the camera's picture, the same as the photo step's preview
        Image {
            id: preview
            objectName: "face_preview"
            property int frame: 0
            anchors.horizontalCenter: parent.horizontalCenter
            width: parent.width * 0.7
            height: width * 0.75
            visible: page.kind === "verify_face" && page.shell.progress.challenge !== undefined
            source: visible ? "image://camera/face-" + frame : ""
            cache: false
            fillMode: Image.PreserveAspectFit
            mirror: true  // as in a mirror: a turn to the left shows to the left
            Timer {
                interval: 66; repeat: true; running: preview.visible
                onTriggered: preview.frame += 1
            }
        }
        KText {  // what to do now: blink, or turn the head and back
            objectName: "face_challenge"
            theme: page.theme
            width: parent.width
            font.pixelSize: page.theme ? page.theme.title : 48
            font.bold: true
            visible: preview.visible
            text: {
                if (!visible) return ""
                var news = page.shell.progress
                if (news.state === "failed") return qsTrId("ui.face.again")
                if (news.hint) return qsTrId("ui.face.hint." + news.hint)
                return qsTrId("ui.face.challenge." + news.challenge)
            }
        }
        KText {
            objectName: "face_try"
            theme: page.theme
            width: parent.width
            visible: preview.visible && page.shell.progress.of > 1
            text: visible ? Screens.fill(qsTrId("ui.face.try"), {
                "attempt": page.shell.progress.attempt, "of": page.shell.progress.of}) : ""
        }
        Drawing {  // where the device is and what to do at it, drawn and moving
            id: picture
            visible: !preview.visible
            theme: page.theme
            kind: page.kind
            params: page.shell ? page.shell.params : ({})
            progress: page.shell ? page.shell.progress : ({})
            slots: page.shell ? page.shell.slots : ({})
            width: parent.width
            // what the texts leave of the page, up to a square
            height: Math.max(page.theme ? page.theme.target * 3 : 300,
                             Math.min(parent.width, page.height - page.textHeight))
        }
        KText {  // where the slot is, in words (the arrow points there)
            objectName: "slot_where"
            theme: page.theme
            width: parent.width
            font.bold: true
            visible: picture.visible && picture.device !== ""
            text: visible ? Screens.fill(qsTrId("ui.slot." + picture.position.replace("-", "_")),
                                         {"device": qsTrId("ui.slot.device." + picture.device)}) : ""
        }
        KText { theme: page.theme; width: parent.width; text: qsTrId("ui.device." + page.kind) }
        // fingerprints: which finger first (the police order, then its fall-backs), how often
        KText {
            objectName: "finger_guide"
            theme: page.theme
            width: parent.width
            font.bold: true
            visible: page.kind === "capture_fingerprints"
            text: visible ? Screens.fill(qsTrId("ui.finger.first"), {"captures": page.shell.params.captures || 3}) : ""
        }
        KText {  // the pad's news: this finger, this try, and how good the last print was
            objectName: "finger_now"
            theme: page.theme
            width: parent.width
            font.pixelSize: page.theme.title
            visible: page.kind === "capture_fingerprints" && page.shell.progress.finger !== undefined
            text: visible ? Screens.fill(qsTrId("ui.finger.now"), {
                "finger": qsTrId("ui.finger." + page.shell.progress.finger),
                "attempt": page.shell.progress.attempt, "of": page.shell.progress.of})
                + (page.shell.progress.quality ? "  " + Screens.fill(qsTrId("ui.finger.quality"),
                    {"quality": page.shell.progress.quality}) : "") : ""
        }
    }
}
