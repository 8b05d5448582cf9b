/**
 * The widget's styles, inside its shadow root: the host page's CSS cannot reach in (and `all:
 * initial` on the host stops inherited fonts and colours), and ours cannot leak out.
 * `--sb-accent` and `--sb-on-accent` come from the channel's settings.
 */
export const STYLES = `
:host{all:initial}
*{box-sizing:border-box}
[hidden]{display:none!important}
.sb{--sb-accent:#2455c3;--sb-on-accent:#fff;--sb-radius:14px;position:fixed;right:20px;bottom:20px;z-index:2147483000;
 font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1c2230;
 display:flex;flex-direction:column;align-items:flex-end;gap:12px}
button,input,textarea,select{font:inherit;color:inherit}
button{cursor:pointer}
:focus-visible{outline:3px solid #1d6bff;outline-offset:2px}
.vh{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.launcher{position:relative;width:60px;height:60px;border-radius:50%;border:0;background:var(--sb-accent);color:var(--sb-on-accent);
 box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}
.launcher svg{width:28px;height:28px}
.badge{position:absolute;top:-2px;right:-2px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#d3252f;color:#fff;
 font-size:12px;font-weight:700;line-height:22px;text-align:center}
.sb-window{width:min(380px,calc(100vw - 24px));height:min(600px,calc(100vh - 110px));background:#fff;border-radius:var(--sb-radius);
 box-shadow:0 10px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}
.header{display:flex;align-items:center;gap:8px;padding:12px 12px 12px 16px;background:var(--sb-accent);color:var(--sb-on-accent)}
.header h2{flex:1;margin:0;font-size:16px;font-weight:650;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.icon-button{width:36px;height:36px;border:0;border-radius:8px;background:transparent;color:inherit;display:inline-flex;align-items:center;justify-content:center}
.icon-button:hover{background:rgba(127,127,127,.18)}
.header :focus-visible{outline-color:currentColor}
.connection{padding:6px 16px;background:#fff6db;color:#5b4500;font-size:13px;display:flex;gap:8px;align-items:center}
.connection button{border:1px solid currentColor;background:transparent;border-radius:6px;padding:2px 8px;font-size:13px}
.queue{margin:8px 12px 0;padding:8px 12px;border-radius:10px;background:#eef3ff;color:#1f3a7a;font-size:14px}
.body{flex:1;display:flex;flex-direction:column;min-height:0}
.transcript{flex:1;display:flex;flex-direction:column;min-height:0}
.padded{padding:0 16px}
.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:6px}
.msg{max-width:82%;display:flex;flex-direction:column;gap:2px}
.msg.self{align-self:flex-end;align-items:flex-end}
.who{font-size:12px;color:#5a6374;margin:6px 4px 0}
.bubble{padding:8px 12px;border-radius:16px;background:#f0f2f5;overflow-wrap:anywhere;white-space:normal}
.self .bubble{background:var(--sb-accent);color:var(--sb-on-accent);border-bottom-right-radius:4px}
.agent .bubble,.bot .bubble{border-bottom-left-radius:4px}
.bubble a{color:inherit;text-decoration:underline}
.bubble .edited{display:block;font-size:11px;opacity:.7;margin-top:2px}
.bubble code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:rgba(127,127,127,.15);padding:0 3px;border-radius:4px}
.bubble pre{margin:4px 0;padding:8px;white-space:pre-wrap;background:rgba(127,127,127,.12);border-radius:6px;font:13px ui-monospace,Menlo,Consolas,monospace}
.notice{align-self:center;font-size:13px;color:#5a6374;text-align:center;padding:4px 8px}
.state{font-size:12px;color:#5a6374}
.state.failed{color:#b3261e}
.state button{border:0;background:none;padding:0;color:#b3261e;text-decoration:underline;font-size:12px}
.files{display:flex;flex-direction:column;gap:4px;margin-top:4px}
.files img{max-width:100%;max-height:180px;border-radius:8px;display:block}
.typing{min-height:20px;padding:0 16px 4px;font-size:13px;color:#5a6374;font-style:italic}
.composer{display:flex;align-items:flex-end;gap:4px;padding:8px;border-top:1px solid #e3e6eb}
.composer textarea{flex:1;resize:none;min-height:40px;max-height:120px;padding:9px 10px;border:1px solid #c5cad3;border-radius:10px;background:#fff}
.composer .icon-button{color:#3d4658}
.composer .send{color:var(--sb-accent)}
.form{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:12px}
.form p{margin:0}
.field{display:flex;flex-direction:column;gap:4px}
.field label,.legend{font-weight:600;font-size:14px}
.field input,.field textarea,.field select{padding:8px 10px;border:1px solid #c5cad3;border-radius:8px;background:#fff;width:100%}
.field [aria-invalid=true]{border-color:#b3261e}
.required{color:#b3261e}
.error{color:#b3261e;font-size:13px;margin:0}
.primary{align-self:flex-start;padding:9px 18px;border:0;border-radius:8px;background:var(--sb-accent);color:var(--sb-on-accent);font-weight:600}
.primary[disabled]{opacity:.6;cursor:default}
.secondary{padding:9px 14px;border:1px solid #c5cad3;border-radius:8px;background:#fff}
.actions{display:flex;gap:8px;flex-wrap:wrap}
.end{padding:12px 16px;border-top:1px solid #e3e6eb;display:flex;flex-direction:column;gap:10px}
.end fieldset{border:0;margin:0;padding:0}
.rating{display:flex;gap:6px;margin-top:6px}
.rating label{width:42px;height:42px;border:1px solid #c5cad3;border-radius:8px;display:flex;align-items:center;justify-content:center;cursor:pointer;font-weight:600}
.rating input:checked+label{background:var(--sb-accent);color:var(--sb-on-accent);border-color:var(--sb-accent)}
.rating input:focus-visible+label{outline:3px solid #1d6bff;outline-offset:2px}
.end textarea{width:100%;min-height:60px;padding:8px 10px;border:1px solid #c5cad3;border-radius:8px;resize:vertical}
@media (max-width:480px){.sb{right:12px;bottom:12px}}
@media (prefers-reduced-motion:no-preference){.sb-window{animation:sb-in .16s ease-out}@keyframes sb-in{from{opacity:0;transform:translateY(8px)}}}
`;
