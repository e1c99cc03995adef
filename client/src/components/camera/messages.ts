/**
 * UI strings of the cameras and video linkage (issue 17), Chinese first; `en` is typed against `zh`.
 */
import { translator } from '../../i18n/i18n';

export const zh = {
  'cam.camera': '监控摄像头',
  'cam.cameras': '监控视频',
  'cam.live': '直播',
  'cam.loading': '正在连接视频…',
  'cam.error': '视频中断：{message}',
  'cam.offline': '摄像头离线或无法访问',
  'cam.noStream': '未配置视频流',
  'cam.flvNoH264': '此浏览器不支持 H.264 解码，无法播放 FLV 视频流',
  'cam.flvNoMse': '此浏览器不支持媒体源扩展（MSE），无法播放 FLV 视频流',
  'cam.flvNoStreamIo': '此浏览器无法流式读取网络数据，无法播放 FLV 视频流',
  'cam.flvCodec': '此浏览器无法解码该 FLV 视频流的编码（如 H.265），请在网关转码为 H.264',
  'cam.noMse': '此浏览器无法播放 HLS 视频',
  'cam.limit': '同时播放已达 {max} 路上限',
  'cam.play': '播放',
  'cam.stop': '停止',
  'cam.retry': '重试',
  'cam.close': '关闭',
  'cam.popupTitle': '视频联动 · {alert}',
  'cam.distance': '{m} 米',
  'cam.facing': '朝向告警点',
  'cam.none': '附近 {km} 公里内没有摄像头',
  'cam.heading': '朝向 {deg}°',
};
export type CameraMessageKey = keyof typeof zh;

export const en: Record<CameraMessageKey, string> = {
  'cam.camera': 'Camera',
  'cam.cameras': 'Cameras',
  'cam.live': 'LIVE',
  'cam.loading': 'Connecting…',
  'cam.error': 'Video interrupted: {message}',
  'cam.offline': 'Camera offline or unreachable',
  'cam.noStream': 'No stream configured',
  'cam.flvNoH264': 'This browser cannot decode H.264, so the FLV stream cannot play',
  'cam.flvNoMse': 'This browser lacks Media Source Extensions, so the FLV stream cannot play',
  'cam.flvNoStreamIo': 'This browser cannot read streamed responses, so the FLV stream cannot play',
  'cam.flvCodec': 'This browser cannot decode the codec of this FLV stream (H.265, say): have the gateway transcode it to H.264',
  'cam.noMse': 'This browser cannot play HLS video',
  'cam.limit': 'At most {max} videos play at once',
  'cam.play': 'Play',
  'cam.stop': 'Stop',
  'cam.retry': 'Retry',
  'cam.close': 'Close',
  'cam.popupTitle': 'Video linkage · {alert}',
  'cam.distance': '{m} m',
  'cam.facing': 'Facing the alert',
  'cam.none': 'No camera within {km} km',
  'cam.heading': 'Heading {deg}°',
};

/** Translate a camera key in the current language, filling `{name}` placeholders. */
export const camt = translator<CameraMessageKey>({ zh, en });
