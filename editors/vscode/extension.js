// Starts `groundwork lsp` for .gw files; everything else comes from the language server.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("groundwork").get("command") || "groundwork";
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient("groundwork", "Groundwork rules", server, {
    documentSelector: [{ scheme: "file", language: "groundwork" }],
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
