/**
 * The registry's records and inputs (issue 11): devices, assets, their change history.
 * Zod schemas at the boundary; TypeScript types derived from them. Units live in field names.
 */
import { z } from 'zod';
import {
  ASSET_KINDS,
  DeviceKindSchema,
  DistrictCodeSchema,
  IdSchema,
  LngLatSchema,
  RESOURCE_KINDS,
  SceneIdSchema,
  type Device,
  type LngLat,
} from '../../scenes/domain';
import { isInQingdaoBounds } from '../../scenes/geo/districts';
import { CameraSpecSchema, type CameraSpec } from '../../scenes/cameras/camera-spec';
import { CAMERA_COLUMNS } from './camera-columns';

export const DEVICE_STATUSES = ['active', 'maintenance', 'retired'] as const;
export const DeviceStatusSchema = z.enum(DEVICE_STATUSES);
export type RegistryDeviceStatus = z.infer<typeof DeviceStatusSchema>;

/** 维修 repair, 更换 replacement, 校准 calibration. */
export const MAINTENANCE_KINDS = ['维修', '更换', '校准'] as const;

/** Longest free-text field (names, notes, vendor/model), characters. */
export const MAX_TEXT_CHARS = 200;
export const MAX_NOTE_CHARS = 2_000;
/** Maintenance records kept on one device (older ones live in its change history). */
export const MAX_MAINTENANCE_RECORDS = 200;
/** Vertices of one asset geometry. */
export const MAX_GEOMETRY_VERTICES = 5_000;
/** Attributes of one asset. */
export const MAX_ASSET_ATTRIBUTES = 50;

const IsoDateSchema = z.iso.date();
const TextSchema = z.string().trim().min(1).max(MAX_TEXT_CHARS);

/** A point inside Qingdao's bounds (WGS84 [lng, lat]). */
export const CityLngLatSchema = LngLatSchema.refine((p) => isInQingdaoBounds(p as LngLat), 'location is outside the city bounds');

export const MaintenanceRecordSchema = z
  .object({
    date: IsoDateSchema,
    kind: z.enum(MAINTENANCE_KINDS),
    note: z.string().max(MAX_NOTE_CHARS).default(''),
    by: TextSchema,
  })
  .strict();
export type MaintenanceRecord = z.infer<typeof MaintenanceRecordSchema>;

/** The fields an import row or a create request sets (district derived from the location when absent). */
export const DeviceInputSchema = z
  .object({
    id: IdSchema,
    kind: DeviceKindSchema,
    name: TextSchema,
    location: CityLngLatSchema,
    district: DistrictCodeSchema.optional(),
    assetId: IdSchema.optional(),
    installDate: IsoDateSchema.optional(),
    vendor: TextSchema.optional(),
    model: TextSchema.optional(),
    status: DeviceStatusSchema.default('active'),
    /** kind `camera`: stream URL (http(s) or a server path; never javascript:), heading, field of view */
    camera: CameraSpecSchema.optional(),
  })
  .strict();
export type DeviceInput = z.infer<typeof DeviceInputSchema>;

export const CreateDeviceSchema = DeviceInputSchema.extend({
  maintenance: z.array(MaintenanceRecordSchema).max(MAX_MAINTENANCE_RECORDS).default([]),
}).strict();

/** PATCH: any editable field, plus the version the editor read (compare-and-set). `null` clears an optional field. */
export const PatchDeviceSchema = z
  .object({
    version: z.number().int().positive(),
    kind: DeviceKindSchema.optional(),
    name: TextSchema.optional(),
    location: CityLngLatSchema.optional(),
    district: DistrictCodeSchema.optional(),
    assetId: IdSchema.nullable().optional(),
    installDate: IsoDateSchema.nullable().optional(),
    vendor: TextSchema.nullable().optional(),
    model: TextSchema.nullable().optional(),
    status: DeviceStatusSchema.optional(),
    maintenance: z.array(MaintenanceRecordSchema).max(MAX_MAINTENANCE_RECORDS).optional(),
    camera: CameraSpecSchema.nullable().optional(),
  })
  .strict();
export type DevicePatch = z.infer<typeof PatchDeviceSchema>;

/** `DELETE /api/devices/:id` and token rotation may name the version they read (optional). */
export const VersionBodySchema = z.object({ version: z.number().int().positive().optional() }).strict();

/** A device as the registry stores and serves it (never its credential). */
export interface RegistryDevice {
  id: string;
  version: number;
  kind: Device['kind'];
  /** from the catalogue (kind → scene) */
  scene: Device['scene'];
  name: string;
  /** WGS84 [lng, lat] */
  location: LngLat;
  district: Device['district'];
  assetId?: string;
  /** YYYY-MM-DD */
  installDate?: string;
  vendor?: string;
  model?: string;
  status: RegistryDeviceStatus;
  /** kind `camera` only */
  camera?: CameraSpec;
  maintenance: MaintenanceRecord[];
  /** epoch ms */
  createdTs: number;
  /** epoch ms */
  updatedTs: number;
  updatedBy: string;
}

/** Fields an import or export carries for a device, in column order (CSV header); a camera's video last (camera-columns.ts). */
export const DEVICE_COLUMNS = [
  'id',
  'kind',
  'name',
  'lng',
  'lat',
  'district',
  'assetId',
  'installDate',
  'vendor',
  'model',
  'status',
  ...CAMERA_COLUMNS,
] as const;
export type DeviceColumn = (typeof DEVICE_COLUMNS)[number];

// ---------------------------------------------------------------------------------------------
// Assets

export const ASSET_TYPES = [...ASSET_KINDS, ...RESOURCE_KINDS] as const;
export const AssetTypeSchema = z.enum(ASSET_TYPES);
export type AssetType = z.infer<typeof AssetTypeSchema>;

const PositionSchema = CityLngLatSchema;
export const AssetGeometrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Point'), coordinates: PositionSchema }).strict(),
  z.object({ type: z.literal('LineString'), coordinates: z.array(PositionSchema).min(2).max(MAX_GEOMETRY_VERTICES) }).strict(),
  z
    .object({
      type: z.literal('Polygon'),
      coordinates: z.array(z.array(PositionSchema).min(4).max(MAX_GEOMETRY_VERTICES)).min(1).max(MAX_ASSET_ATTRIBUTES),
    })
    .strict(),
]);
export type AssetGeometry = z.infer<typeof AssetGeometrySchema>;

const AttributeKeySchema = z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'attribute names are camelCase with the unit in the name');
const AttributesSchema = z
  .record(AttributeKeySchema, z.union([z.number().finite(), z.string().max(MAX_TEXT_CHARS)]))
  .refine((a) => Object.keys(a).length <= MAX_ASSET_ATTRIBUTES, `at most ${MAX_ASSET_ATTRIBUTES} attributes`);

/** Per-type rules on attributes: water bodies have warning < guarantee levels; shelters a capacity. */
function checkAttributes(a: { type: AssetType; attributes: Record<string, number | string> }, ctx: z.RefinementCtx): void {
  const num = (k: string) => (typeof a.attributes[k] === 'number' ? (a.attributes[k] as number) : undefined);
  if (a.type === 'river' || a.type === 'reservoir') {
    const warning = num('warningLevelM');
    const guarantee = num('guaranteeLevelM');
    if (warning === undefined || guarantee === undefined)
      ctx.addIssue({ code: 'custom', path: ['attributes'], message: `a ${a.type} needs numeric warningLevelM and guaranteeLevelM` });
    else if (!(warning < guarantee))
      ctx.addIssue({ code: 'custom', path: ['attributes', 'warningLevelM'], message: 'warningLevelM must be below guaranteeLevelM' });
  }
  if (a.type === 'shelter' || a.type === 'supply-depot' || a.type === 'rescue-team') {
    const capacity = num('capacity');
    if (capacity === undefined || !Number.isInteger(capacity) || capacity < 0)
      ctx.addIssue({ code: 'custom', path: ['attributes', 'capacity'], message: `a ${a.type} needs a non-negative integer capacity` });
  }
}

export const AssetInputSchema = z
  .object({
    id: IdSchema,
    type: AssetTypeSchema,
    name: TextSchema,
    nameEn: TextSchema.optional(),
    scene: SceneIdSchema.optional(),
    district: DistrictCodeSchema.optional(),
    geometry: AssetGeometrySchema,
    attributes: AttributesSchema.default({}),
  })
  .strict()
  .superRefine(checkAttributes);
export type AssetInput = z.infer<typeof AssetInputSchema>;

export const PatchAssetSchema = z
  .object({
    version: z.number().int().positive(),
    name: TextSchema.optional(),
    nameEn: TextSchema.nullable().optional(),
    scene: SceneIdSchema.nullable().optional(),
    district: DistrictCodeSchema.optional(),
    geometry: AssetGeometrySchema.optional(),
    attributes: AttributesSchema.optional(),
  })
  .strict();
export type AssetPatch = z.infer<typeof PatchAssetSchema>;

export interface RegistryAsset {
  id: string;
  version: number;
  type: AssetType;
  name: string;
  nameEn?: string;
  scene?: Device['scene'];
  district: Device['district'];
  geometry: AssetGeometry;
  /** per type; units in the names (warningLevelM, capacity …) */
  attributes: Record<string, number | string>;
  /** an asset is retired, never deleted: devices and history refer to it */
  retired: boolean;
  createdTs: number;
  updatedTs: number;
  updatedBy: string;
}

export const ASSET_COLUMNS = ['id', 'type', 'name', 'nameEn', 'scene', 'district', 'geometry', 'attributes'] as const;

/** One rejected import row: 1-based row (CSV: the line of the record, header = line 1; GeoJSON: feature number). */
export interface ImportRejection {
  row: number;
  column?: string;
  code: 'E_VALIDATION' | 'E_CONFLICT' | 'E_NOT_FOUND';
  message: string;
}

export interface ImportReport {
  created: number;
  updated: number;
  unchanged: number;
  rejected: ImportRejection[];
  /** true when nothing was written (dry run, or rejected rows without `partial`) */
  dryRun: boolean;
  applied: boolean;
}
