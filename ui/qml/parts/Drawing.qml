import QtQuick

// A drawing of what to do at a device: the device's part (the reader, the chip slot,
// the fingerprint pad, the camera, the scanner, the printer) and what the citizen
// brings to it (the card, the permit, the finger, the face, the code, the slip),
// moving where motion explains. An arrow points where the slot is on this cabinet
// (the terminal's [slots] configuration), and a line says it in words.
// Every layer is an SVG under ../art with the same 600 x 600 view box, so they align.
Rectangle {
    id: drawing
    property var theme
    property string kind: ""            // the step type
    property var params: ({})           // the step's params (which document, which printer)
    property var progress: ({})         // the device's news (which finger now)
    property var slots: ({})            // device -> position on the cabinet
    objectName: "drawing_" + kind
    // the drawing's main stroke: what the contrast check holds against `color`
    readonly property color stroke: theme ? theme.brand : "#0B3D91"
    readonly property var scene: scenes(kind, params)
    readonly property string device: scene.device || ""
    readonly property string position: slots[device] || "below"
    readonly property string finger: progress && progress.finger ? progress.finger : "right_thumb"
    // every layer drawn (the tests read this: Image.status is not readable from Python)
    readonly property bool loaded: base.status === Image.Ready && mover.status === Image.Ready
                                   && arrow.status === Image.Ready
    readonly property real unit: stage.width / 600  // one view-box unit in pixels

    color: theme ? theme.card : "white"
    radius: 24
    border.color: theme ? theme.brand : "blue"
    border.width: 4
    clip: true

    // what each step draws: the device's part, what moves, how, and which slot
    function scenes(kind, params) {
        var document = params && params.document === "passport" ? "passport" : "permit"
        switch (kind) {
        case "read_id_card":
            return {device: "id_card", base: "reader", mover: "id_card", motion: "onto"}
        case "read_document_chip":
            return {device: "smartcard", base: "chip_slot", mover: document, motion: "into", clipBottom: 385}
        case "take_back":
            if (params && params.what === "document")
                return {device: "smartcard", base: "chip_slot", mover: document, motion: "outOf", clipBottom: 385}
            return {device: "id_card", base: "reader", mover: "id_card", motion: "off"}
        case "dispense_document":  // the finished card out of the transport's gate (the chip slot)
            return {device: "smartcard", base: "chip_slot", mover: "permit", motion: "outOf", clipBottom: 385}
        case "capture_fingerprints":
            return {device: "fingerprint", base: "pad", mover: "hand", motion: "press"}
        case "capture_photo":
        case "verify_face":
            return {device: "camera", base: "camera", mover: "face", motion: "settle"}
        case "scan_code":
            return {device: "scanner", base: "scanner", mover: "phone", motion: "show"}
        case "scan_document":  // the paper laid on the glass
            return {device: "scanner_a4", base: "reader", mover: "slip", motion: "onto"}
        case "print":
            return {device: params && params.printer ? params.printer : "receipt_printer",
                    base: "printer", mover: "slip", motion: "slipOut", clipTop: 193}
        }
        return {device: "", base: "reader", mover: "id_card", motion: "onto"}
    }

    // The fingertips in hand.svg (a right hand; the left one is its mirror image),
    // and where the pad's glass is in pad.svg: the asked finger lies on the glass.
    readonly property var tips: ({"thumb": Qt.point(141, 339), "index": Qt.point(234, 215),
                                  "middle": Qt.point(281, 195)})
    readonly property point glass: Qt.point(300, 250)
    readonly property bool leftHand: finger.indexOf("left_") === 0
    readonly property point tip: {
        var t = tips[finger.replace(/^(left|right)_/, "")] || tips.thumb
        return leftHand ? Qt.point(600 - t.x, t.y) : t
    }

    // the band the arrow takes, on its side: the drawing keeps clear of it (a corner
    // arrow: in the band along the drawing's longer side, where there is room)
    readonly property real reserve: drawing.device !== "" ? arrow.size + 2 * arrow.margin : 0
    readonly property real reserveX: direction.x === 0.5 ? 0
        : (direction.y === 0.5 || width - height >= reserve ? reserve : 0)
    readonly property real reserveY: direction.y === 0.5 || reserveX > 0 ? 0 : reserve
    Item {  // a square of the view box, as big as the drawing allows
        id: stage
        width: Math.min(drawing.width - drawing.reserveX, drawing.height - drawing.reserveY)
               - drawing.border.width * 2
        height: width
        x: (drawing.width - width) / 2 - (drawing.direction.x - 0.5) * drawing.reserveX
        y: (drawing.height - height) / 2 - (drawing.direction.y - 0.5) * drawing.reserveY

        Image {
            id: base
            objectName: "drawing_base"
            anchors.fill: parent
            source: "../art/" + drawing.scene.base + ".svg"
            sourceSize: Qt.size(width, height)
            smooth: true
        }

        Item {  // what moves, cut off where it goes into the device's slot
            id: window
            clip: drawing.scene.clipTop !== undefined || drawing.scene.clipBottom !== undefined
            x: 0
            y: (drawing.scene.clipTop || 0) * drawing.unit
            width: parent.width
            height: ((drawing.scene.clipBottom || 600) - (drawing.scene.clipTop || 0)) * drawing.unit
            // the animated offset, in view-box units
            property real dx: 0
            property real dy: 0
            property real fade: 1

            Image {
                id: mover
                objectName: "drawing_mover"
                x: window.dx * drawing.unit
                y: (window.dy - (drawing.scene.clipTop || 0)) * drawing.unit
                width: stage.width
                height: stage.height
                opacity: window.fade
                source: "../art/" + drawing.scene.mover + ".svg"
                sourceSize: Qt.size(width, height)
                mirror: drawing.scene.mover === "hand" && drawing.leftHand
                transform: Scale {  // the face settles into the oval
                    origin.x: 300 * drawing.unit; origin.y: 340 * drawing.unit
                    xScale: window.grow; yScale: window.grow
                }
            }
            property real grow: 1

            // Each motion rests first where it explains most (the card on the reader,
            // the slip out of the printer), then shows how it gets there.
            SequentialAnimation {
                running: drawing.visible && drawing.scene.motion === "onto"
                loops: Animation.Infinite
                PropertyAction { target: window; property: "dy"; value: 0 }
                PauseAnimation { duration: 1400 }
                PropertyAction { target: window; property: "dy"; value: -260 }
                NumberAnimation { target: window; property: "dy"; to: 0; duration: 1100; easing.type: Easing.OutCubic }
            }
            SequentialAnimation {  // the card lifted off the reader, again and again
                running: drawing.visible && drawing.scene.motion === "off"
                loops: Animation.Infinite
                PropertyAction { target: window; property: "dy"; value: -200 }
                PropertyAction { target: window; property: "fade"; value: 1 }
                PauseAnimation { duration: 1400 }
                PropertyAction { target: window; property: "dy"; value: 0 }
                PauseAnimation { duration: 400 }
                NumberAnimation { target: window; property: "dy"; to: -200; duration: 1000; easing.type: Easing.InOutQuad }
            }
            SequentialAnimation {  // the document goes down into the slot
                running: drawing.visible && drawing.scene.motion === "into"
                loops: Animation.Infinite
                PropertyAction { target: window; property: "dy"; value: 150 }
                PauseAnimation { duration: 1400 }
                PropertyAction { target: window; property: "dy"; value: -40 }
                NumberAnimation { target: window; property: "dy"; to: 150; duration: 1200; easing.type: Easing.InOutQuad }
            }
            SequentialAnimation {  // the document comes back out of the slot
                running: drawing.visible && drawing.scene.motion === "outOf"
                loops: Animation.Infinite
                PropertyAction { target: window; property: "dy"; value: -40 }
                PauseAnimation { duration: 1400 }
                PropertyAction { target: window; property: "dy"; value: 200 }
                NumberAnimation { target: window; property: "dy"; to: -40; duration: 1200; easing.type: Easing.OutCubic }
            }
            SequentialAnimation {  // the slip comes out of the printer
                running: drawing.visible && drawing.scene.motion === "slipOut"
                loops: Animation.Infinite
                PropertyAction { target: window; property: "dy"; value: 0 }
                PauseAnimation { duration: 1400 }
                PropertyAction { target: window; property: "dy"; value: -360 }
                NumberAnimation { target: window; property: "dy"; to: 0; duration: 1600; easing.type: Easing.Linear }
            }
            SequentialAnimation {  // the phone's code held up under the scanner
                running: drawing.visible && drawing.scene.motion === "show"
                loops: Animation.Infinite
                PropertyAction { target: window; property: "dy"; value: 0 }
                PauseAnimation { duration: 1400 }
                PropertyAction { target: window; property: "dy"; value: 150 }
                NumberAnimation { target: window; property: "dy"; to: 0; duration: 1000; easing.type: Easing.OutCubic }
            }
            SequentialAnimation {  // the face comes closer until it fills the oval
                running: drawing.visible && drawing.scene.motion === "settle"
                loops: Animation.Infinite
                PropertyAction { target: window; property: "grow"; value: 1 }
                PauseAnimation { duration: 1400 }
                PropertyAction { target: window; property: "grow"; value: 0.7 }
                NumberAnimation { target: window; property: "grow"; to: 1; duration: 1000; easing.type: Easing.OutCubic }
            }
            // the asked finger on the pad's glass; the hand comes down onto it (the
            // offsets follow the finger asked for: bindings, not animation values)
            property real lift: 0
            Binding { target: window; property: "dx"; when: drawing.scene.motion === "press"
                      value: drawing.glass.x - drawing.tip.x }
            Binding { target: window; property: "dy"; when: drawing.scene.motion === "press"
                      value: drawing.glass.y - drawing.tip.y + window.lift }
            SequentialAnimation {
                running: drawing.visible && drawing.scene.motion === "press"
                loops: Animation.Infinite
                PropertyAction { target: window; property: "lift"; value: 0 }
                PauseAnimation { duration: 1400 }
                PropertyAction { target: window; property: "lift"; value: 120 }
                NumberAnimation { target: window; property: "lift"; to: 0; duration: 900; easing.type: Easing.OutCubic }
            }
        }

        Rectangle {  // the asked finger, ringed
            objectName: "drawing_finger"
            visible: drawing.scene.motion === "press"
            width: 96 * drawing.unit
            height: width
            radius: width / 2
            x: (drawing.tip.x + window.dx) * drawing.unit - width / 2
            y: (drawing.tip.y + window.dy) * drawing.unit - height / 2 + window.y
            color: "transparent"
            border.color: drawing.theme ? drawing.theme.alert : "red"
            border.width: 10 * drawing.unit
        }
    }

    // Where the slot is on this cabinet: the arrow points there from the drawing's edge.
    readonly property var directions: ({
        "above": {x: 0.5, y: 0, turn: 0}, "below": {x: 0.5, y: 1, turn: 180},
        "left": {x: 0, y: 0.5, turn: 270}, "right": {x: 1, y: 0.5, turn: 90},
        "below-left": {x: 0, y: 1, turn: 225}, "below-right": {x: 1, y: 1, turn: 135}
    })
    readonly property var direction: directions[position] || directions.below
    Image {
        id: arrow
        objectName: "slot_arrow"
        readonly property real size: Math.max(drawing.theme ? drawing.theme.target * 1.3 : 110,
                                             Math.min(drawing.width, drawing.height) * 0.14)
        readonly property real margin: size * 0.15
        property real bob: 0
        width: size
        height: size
        x: margin + drawing.direction.x * (drawing.width - size - 2 * margin)
        y: margin + drawing.direction.y * (drawing.height - size - 2 * margin)
        rotation: drawing.direction.turn
        source: "../art/arrow.svg"
        sourceSize: Qt.size(size, size)
        visible: drawing.device !== ""
        transform: Translate {  // a nudge toward the slot
            x: arrow.bob * Math.sin(drawing.direction.turn * Math.PI / 180)
            y: -arrow.bob * Math.cos(drawing.direction.turn * Math.PI / 180)
        }
        SequentialAnimation on bob {
            running: arrow.visible
            loops: Animation.Infinite
            PauseAnimation { duration: 600 }
            NumberAnimation { to: 16; duration: 500; easing.type: Easing.InOutQuad }
            NumberAnimation { to: 0; duration: 500; easing.type: Easing.InOutQuad }
        }
    }
}
