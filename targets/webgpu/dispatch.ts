/** One compute shader and how many workgroups to launch it with: the unit the runtime records. */
export interface Dispatch {
  name: string;
  /** WGSL with one entry point, `main`, over the two bindings of wgsl.ts. */
  source: string;
  /**
   * The same work with subgroup operations (`enable subgroups;`), for devices with the `subgroups`
   * feature; `source` runs everywhere (row-reduce.ts).
   */
  subgroupSource?: string;
  workgroups: [number, number, number];
}
