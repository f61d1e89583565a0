import QtQuick

// Where the citizen is in the service: "Step 3 of 7: Photo", a bar with one
// segment per stage, and the stages still to come, named. Shown only on the
// normal path (kiosk.stages is empty on a refusal or a refund).
Column {
    id: steps
    property var shell: kiosk
    readonly property var theme: kiosk.style
    readonly property var names: shell && shell.stages.names ? shell.stages.names : []
    readonly property int at: shell && shell.stages.at !== undefined ? shell.stages.at : -1
    visible: at >= 0 && at < names.length
    height: visible ? implicitHeight : 0
    spacing: theme.gap / 3
    KText {
        objectName: "progress_step"
        theme: steps.theme
        width: parent.width
        font.bold: true
        text: steps.visible ? Screens.fill(qsTrId("ui.progress.step"), {
            "n": steps.at + 1, "total": steps.names.length, "name": qsTrId(steps.names[steps.at])
        }) : ""
    }
    Row {  // one segment a stage: done and current filled, the rest outlined
        objectName: "progress_bar"
        spacing: steps.theme.gap / 4
        Repeater {
            model: steps.names.length
            delegate: Rectangle {
                required property int index
                width: (steps.width - (steps.names.length - 1) * steps.theme.gap / 4) / steps.names.length
                height: steps.theme.gap / 2
                radius: height / 2
                color: index <= steps.at ? steps.theme.brand : steps.theme.card
                border.color: steps.theme.brand
                border.width: 2
            }
        }
    }
    KText {
        objectName: "progress_next"
        theme: steps.theme
        width: parent.width
        color: steps.theme.quiet
        font.pixelSize: steps.theme.small
        text: {
            if (!steps.visible) return ""
            var rest = []
            for (var i = steps.at + 1; i < steps.names.length; i++)
                rest.push(qsTrId(steps.names[i]))
            return rest.length ? Screens.fill(qsTrId("ui.progress.next"), {"names": rest.join(" · ")})
                               : qsTrId("ui.progress.last")
        }
    }
}
