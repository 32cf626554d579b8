import { readFileSync } from 'node:fs';

/** The body of a Lua script in src/store/lua/ (named `<name>-<numKeys>.lua`, bullmq style). */
export function luaScript(name: string): { lua: string; numberOfKeys: number } {
  const file = new URL(`./lua/${name}.lua`, import.meta.url);
  const m = /-(\d+)$/.exec(name);
  if (!m) throw new Error(`Lua script name ${name} must end with -<numKeys>`);
  return { lua: readFileSync(file, 'utf8'), numberOfKeys: Number(m[1]) };
}
