/**
 * Demo cameras (issue 17, 视频联动弹屏): real Qingdao places near the demo assets — bridge
 * landings, flood-prone underpasses, a reservoir dam, the Licun River, communities. Their streams
 * are the demo clips the server serves (server/video/, scripts/make-demo-video.sh); a deployment
 * points each camera at its NVR / GB/T 28181 gateway's HLS URL through the registry instead.
 */
import type { Device, DistrictCode, LngLat } from '../domain';
import { DEMO_CLIP_IDS, demoStreamUrl } from '../cameras/demo-streams';

type CameraRow = readonly [id: string, name: string, district: DistrictCode, at: LngLat, headingDeg: number, assetId?: string];

const ROWS: readonly CameraRow[] = [
  ['cam-jzwdq-licang', '胶州湾大桥李沧登陆点', '370213', [120.3625, 36.1615], 270, 'bridge-jzwdq'],
  ['cam-chongqing-viaduct', '重庆路高架桥南段', '370213', [120.3862, 36.1585], 20, 'bridge-chongqing'],
  ['cam-uph-shandonglu', '山东路下穿', '370203', [120.3836, 36.0928], 180, 'uph-shandonglu'],
  ['cam-uph-fuzhoulu', '福州路下穿', '370202', [120.3955, 36.0888], 200, 'uph-fuzhoulu'],
  ['cam-uph-yanjilu', '延吉路下穿', '370203', [120.3705, 36.0925], 90, 'uph-yanjilu'],
  ['cam-uph-heilongjiang', '黑龙江中路下穿', '370213', [120.4125, 36.1505], 0, 'uph-heilongjiang'],
  ['cam-licunhe-pump', '李村河泵站', '370213', [120.3705, 36.1575], 250, 'pump-licunhe'],
  ['cam-licunhe-jiushui', '李村河九水路桥', '370213', [120.405, 36.1558], 90, 'river-licun'],
  ['cam-res-laoshan', '崂山水库大坝', '370212', [120.5545, 36.1895], 45, 'res-laoshan'],
  ['cam-comm-taidong', '台东步行街', '370203', [120.3525, 36.0885], 135, 'comm-taidong'],
  ['cam-comm-badaguan', '八大关社区', '370202', [120.3555, 36.0585], 300, 'comm-badaguan'],
  ['cam-wusi-square', '五四广场', '370202', [120.3855, 36.0615], 180],
];

/** The demo cameras, each on one of the demo clips (cycled), as registry devices of kind `camera`. */
export const QINGDAO_CAMERAS: readonly Device[] = ROWS.map(([id, name, district, location, headingDeg, assetId], i) => ({
  id,
  kind: 'camera',
  scene: 'emergency',
  name,
  location,
  district,
  ...(assetId !== undefined ? { assetId } : {}),
  camera: {
    stream: { url: demoStreamUrl(DEMO_CLIP_IDS[i % DEMO_CLIP_IDS.length]!), format: 'hls' },
    headingDeg,
    fovDeg: 70,
  },
}));
