/**
 * The text colour that reads on the accent colour: white or near-black, whichever contrasts
 * more (WCAG relative luminance), so any brand colour an administrator picks stays legible.
 */
export function textOnAccent(hex: string): '#ffffff' | '#111111' {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return '#ffffff';
  const [r, g, b] = [m[1], m[2], m[3]].map((c) => {
    const v = parseInt(c!, 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const contrastWhite = 1.05 / (luminance + 0.05);
  const contrastDark = (luminance + 0.05) / (0.0056 + 0.05);
  return contrastWhite >= contrastDark ? '#ffffff' : '#111111';
}
