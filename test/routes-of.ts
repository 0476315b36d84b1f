/** Every route of a Fastify app, `{ method, url }`, read from `printRoutes()` (so a route added later is in it too). */
export function routesOf(app: { printRoutes(options: { commonPrefix: boolean }): string }): Array<{ method: string; url: string }> {
  const routes: Array<{ method: string; url: string }> = [];
  const path: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    // "│   ├── /cancel (POST)": the depth is the indentation in steps of 4, the segment is appended to its parent's.
    const match = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (match === null) continue;
    path.length = match[1].length / 4;
    path.push(match[2]);
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, url: path.join('') });
  }
  return routes;
}
