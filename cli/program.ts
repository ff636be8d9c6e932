import { Command } from 'commander';
import { KilnError } from '../runtime/errors.js';
import { agentCommand } from './agent.js';
import { benchCommand } from './bench.js';
import { compileCommand } from './compile.js';
import { conformanceCommand } from './conformance.js';
import { fleetCommand } from './fleet.js';
import { inspectCommand } from './inspect.js';
import { keysCommand } from './keys.js';
import { opsCommand } from './ops.js';
import { registryCommand } from './registry.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command('kiln')
    .description('Kiln: compile ONNX models for edge devices and run them')
    .version(VERSION)
    .showHelpAfterError();
  program.addCommand(inspectCommand());
  program.addCommand(compileCommand());
  program.addCommand(runCommand());
  program.addCommand(conformanceCommand());
  program.addCommand(opsCommand());
  program.addCommand(benchCommand());
  program.addCommand(registryCommand());
  program.addCommand(keysCommand());
  program.addCommand(serveCommand());
  program.addCommand(agentCommand());
  program.addCommand(fleetCommand());
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof KilnError) {
      console.error(`kiln: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
