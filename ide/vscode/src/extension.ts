// The Nimbus extension: wiring only. What it decides lives in src/logic (no vscode there).
import * as vscode from 'vscode';
import { Commands } from './adapters/commands';
import { NimbusDebugging } from './adapters/debug';
import { HandlerLenses } from './adapters/lenses';
import { ReplayTests } from './adapters/replayTests';

export interface NimbusApi {
  commands: Commands;
  debugging: NimbusDebugging;
  tests: ReplayTests;
}

export function activate(context: vscode.ExtensionContext): NimbusApi {
  const channel = vscode.window.createOutputChannel('Nimbus', { log: true });
  const debugging = new NimbusDebugging(context.extensionPath, channel);
  const tests = new ReplayTests(channel);
  const commands = new Commands(channel, tests);
  context.subscriptions.push(
    channel,
    tests,
    vscode.debug.registerDebugConfigurationProvider('nimbus', debugging),
    vscode.debug.registerDebugConfigurationProvider('nimbus', { provideDebugConfigurations: () => debugging.provideDebugConfigurations() }, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterDescriptorFactory('nimbus', debugging),
    vscode.debug.onDidTerminateDebugSession((s) => debugging.ended(s)),
    vscode.languages.registerCodeLensProvider([{ language: 'cpp' }, { language: 'c' }, { language: 'python' }], new HandlerLenses()),
    ...commands.register(),
  );
  return { commands, debugging, tests };
}

export function deactivate(): void {}
