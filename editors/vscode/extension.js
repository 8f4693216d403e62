// The kiln extension: starts `kiln lsp` and adds the YAML preview commands.
// Everything else (diagnostics, hover, completion, go to definition, references, rename,
// formatting, quick fixes, the outline) comes from the server through the client.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("kiln");
  const command = config.get("path") || "kiln";
  const serverOptions = {
    run: { command, args: ["lsp"], transport: TransportKind.stdio },
    debug: { command, args: ["lsp"], transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "kiln" },
      { scheme: "untitled", language: "kiln" },
    ],
    initializationOptions: {
      profile: config.get("profile") || undefined,
      diagnosticsDelayMs: config.get("diagnosticsDelayMs"),
      workspaces: config.get("workspaces"),
    },
    // Imported files changed on disk (a save, a checkout) are read again at once.
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.kiln"),
    },
  };
  client = new LanguageClient("kiln", "kiln", serverOptions, clientOptions);
  client.start();

  // The server's `kiln.preview` command returns the YAML; show it beside the source.
  // (The client registers `kiln.preview` itself, so these commands have other names.)
  const preview = async (atCursor) => {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== "kiln") {
      return;
    }
    const args = [editor.document.uri.toString()];
    if (atCursor) {
      args.push(client.code2ProtocolConverter.asPosition(editor.selection.active));
    }
    try {
      const yaml = await client.sendRequest("workspace/executeCommand", {
        command: "kiln.preview",
        arguments: args,
      });
      const doc = await vscode.workspace.openTextDocument({ language: "yaml", content: yaml });
      await vscode.window.showTextDocument(doc, vscode.ViewColumn.Beside, true);
    } catch (e) {
      vscode.window.showErrorMessage(`kiln: ${e.message}`);
    }
  };
  context.subscriptions.push(
    vscode.commands.registerCommand("kiln.showPreview", () => preview(false)),
    vscode.commands.registerCommand("kiln.showPreviewAtCursor", () => preview(true)),
  );
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
