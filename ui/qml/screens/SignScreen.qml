import QtQuick
import "../parts"

// The sign step: the citizen signs on the pad with its pen and sees the ink here as
// it is written, in a box of the pad's own proportions. 重签 (left, as on the pad)
// clears it, 确认 (right) takes it; the pad's buttons do the same. An empty or too
// short signature is refused here; the kept one is shown a moment as the form will
// have it (its PNG, from the step service).
Item {
    id: page
    property var shell: kiosk
    readonly property var theme: kiosk.style
    readonly property var news: (page.shell && page.shell.progress) ? page.shell.progress : ({})
    readonly property string state_: news.sign || "ready"
    readonly property bool kept: page.state_ === "kept"
    Column {
        anchors.fill: parent
        spacing: page.theme ? page.theme.gap : 0
        visible: page.shell !== null && page.shell !== undefined
        KText {
            theme: page.theme; heading: true; width: parent.width
            text: page.kept ? qsTrId("ui.sign.kept") : (page.shell ? qsTrId(page.shell.textId) : "")
        }
        Rectangle {  // the signing box
            objectName: "sign_box"
            width: parent.width
            height: Math.min(width / Math.max(1, page.news.aspect || 2), width * 0.6)
            color: page.theme ? page.theme.card : "white"
            border.color: page.theme ? page.theme.line : "gray"
            border.width: 2
            Rectangle {  // the line one signs on, as on a paper form
                x: parent.width * 0.05; width: parent.width * 0.9; height: 2
                y: parent.height * 0.82
                color: page.theme ? page.theme.line : "gray"
                opacity: 0.35
                visible: !page.kept
            }
            Canvas {
                id: ink
                objectName: "sign_ink"
                anchors.fill: parent
                anchors.margins: 4
                visible: !page.kept
                property var strokes: page.news.ink || []
                onStrokesChanged: requestPaint()
                onPaint: {
                    var pen = getContext("2d")
                    pen.reset()
                    pen.strokeStyle = page.theme ? page.theme.ink : "black"
                    pen.fillStyle = pen.strokeStyle
                    pen.lineCap = "round"
                    // the pad's box in its own proportions, centred
                    var aspect = page.news.aspect || (width / height)
                    var w = Math.min(width, height * aspect), h = w / aspect
                    var ox = (width - w) / 2, oy = (height - h) / 2
                    var unit = w / 900  // pressure as width, as on the PNG
                    for (var s = 0; s < strokes.length; s++) {
                        var p = strokes[s]
                        if (p.length === 3) {  // a dot
                            pen.beginPath()
                            pen.arc(ox + p[0] * w, oy + p[1] * h, (2 + 6 * p[2]) * unit, 0, 2 * Math.PI)
                            pen.fill()
                        }
                        for (var i = 3; i + 2 < p.length; i += 3) {
                            pen.beginPath()
                            pen.lineWidth = (3 + 10 * (p[i - 1] + p[i + 2]) / 2) * unit
                            pen.moveTo(ox + p[i - 3] * w, oy + p[i - 2] * h)
                            pen.lineTo(ox + p[i] * w, oy + p[i + 1] * h)
                            pen.stroke()
                        }
                    }
                }
            }
            Image {  // the signature as kept: the application's PNG
                objectName: "sign_kept"
                visible: page.kept
                anchors.fill: parent
                anchors.margins: 6
                fillMode: Image.PreserveAspectFit
                cache: false
                sourceSize: Qt.size(width, height)
                source: page.kept ? "image://signature/" + page.news.ref : ""
            }
        }
        KText {
            objectName: "sign_words"
            theme: page.theme
            width: parent.width
            font.bold: page.state_ === "refused"
            color: page.state_ === "refused" && page.theme ? page.theme.alert : (page.theme ? page.theme.ink : "black")
            text: page.state_ === "refused" ? qsTrId("ui.sign.refused." + page.news.why)
                : page.state_ === "writing" ? qsTrId("ui.sign.writing")
                : page.kept ? qsTrId("ui.sign.kept_words")
                : qsTrId("ui.device.sign")
        }
        Row {
            width: parent.width
            spacing: page.theme ? page.theme.gap : 0
            visible: !page.kept
            KButton {
                objectName: "button_sign_again"
                theme: page.theme
                width: (parent.width - parent.spacing) / 2
                textId: "ui.sign.again"
                onTapped: page.shell.signDecide("again")
            }
            KButton {
                objectName: "button_sign_confirm"
                theme: page.theme
                primary: true
                width: (parent.width - parent.spacing) / 2
                textId: "ui.sign.confirm"
                onTapped: page.shell.signDecide("confirm")
            }
        }
    }
}
