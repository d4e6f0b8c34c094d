"use strict";(self.rspackChunknb_registry=self.rspackChunknb_registry||[]).push([[232],{475(r,o,e){var n=e(601),t=e.n(n),a=e(314),i=(e.n(a))()(t());i.push([r.id,`/* nb-registry: sidebar and pages. Colours come from the JupyterLab theme variables. */

.nbr-sidebar,
.nbr-page {
  background: var(--jp-layout-color1);
  color: var(--jp-ui-font-color1);
  font-size: var(--jp-ui-font-size1);
  overflow: auto;
}

.nbr-sidebar {
  display: flex;
  flex-direction: column;
  min-width: 240px;
}

.nbr-sidebar-header {
  display: flex;
  align-items: center;
  justify-content: space-between;
  padding: 6px 8px 2px 12px;
}

.nbr-sidebar-header h2 {
  font-size: var(--jp-ui-font-size2);
  font-weight: 600;
  margin: 0;
  text-transform: uppercase;
  letter-spacing: 0.04em;
}

.nbr-icon-button {
  background: none;
  border: none;
  cursor: pointer;
  padding: 2px;
}

.nbr-tabs {
  display: flex;
  border-bottom: var(--jp-border-width) solid var(--jp-border-color2);
  padding: 0 8px;
}

.nbr-tab {
  background: none;
  border: none;
  border-bottom: 2px solid transparent;
  color: var(--jp-ui-font-color2);
  cursor: pointer;
  padding: 6px 10px;
  font-size: var(--jp-ui-font-size1);
}

.nbr-tab.nbr-mod-active {
  border-bottom-color: var(--jp-brand-color1);
  color: var(--jp-ui-font-color0);
  font-weight: 600;
}

.nbr-search {
  margin: 8px 8px 4px;
  width: calc(100% - 16px);
  box-sizing: border-box;
}

.nbr-sidebar-body {
  flex: 1 1 auto;
  overflow: auto;
  padding: 0 0 8px;
}

.nbr-sidebar-body h4 {
  margin: 12px 12px 4px;
  color: var(--jp-ui-font-color2);
  font-weight: 600;
}

.nbr-sidebar-body > div > .nbr-button {
  margin: 8px 12px;
}

.nbr-sidebar-footer {
  border-top: var(--jp-border-width) solid var(--jp-border-color2);
  color: var(--jp-ui-font-color2);
  font-size: var(--jp-ui-font-size0);
  overflow: hidden;
  padding: 4px 12px;
  text-overflow: ellipsis;
  white-space: nowrap;
}

.nbr-list {
  list-style: none;
  margin: 0;
  padding: 0;
}

.nbr-list > li {
  border-bottom: var(--jp-border-width) solid var(--jp-border-color3);
  padding: 6px 12px;
}

.nbr-clickable {
  cursor: pointer;
}

.nbr-list > li.nbr-clickable:hover,
tr.nbr-clickable:hover {
  background: var(--jp-layout-color2);
}

.nbr-row-title {
  display: flex;
  justify-content: space-between;
  gap: 8px;
}

.nbr-name {
  font-weight: 600;
  color: var(--jp-ui-font-color0);
  min-width: 0;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}

.nbr-row-title > .nbr-count,
.nbr-collection-row > .nbr-project {
  flex: none;
}

.nbr-count,
.nbr-project {
  color: var(--jp-ui-font-color2);
  font-size: var(--jp-ui-font-size0);
  margin-left: 6px;
}

.nbr-collection-row {
  display: flex;
  justify-content: space-between;
}

.nbr-description {
  color: var(--jp-ui-font-color2);
  margin: 2px 0;
  overflow: hidden;
  display: -webkit-box;
  -webkit-line-clamp: 2;
  -webkit-box-orient: vertical;
  overflow-wrap: anywhere;
}

.nbr-chips {
  display: flex;
  flex-wrap: wrap;
  gap: 4px;
  margin-top: 4px;
}

.nbr-chip {
  border-radius: 10px;
  display: inline-block;
  font-size: var(--jp-ui-font-size0);
  line-height: 16px;
  margin-right: 2px;
  padding: 0 7px;
  white-space: nowrap;
}

.nbr-chip-alias {
  background: var(--jp-brand-color3);
  color: var(--jp-brand-color0, #0d47a1);
  border: 1px solid var(--jp-brand-color2);
}

.nbr-chip-tag {
  background: var(--jp-layout-color2);
  border: 1px solid var(--jp-border-color1);
  color: var(--jp-ui-font-color1);
  cursor: pointer;
}

.nbr-chip-state {
  background: var(--jp-layout-color3);
}

.nbr-type-group > summary {
  cursor: pointer;
  font-weight: 600;
  padding: 6px 12px;
  text-transform: capitalize;
}

.nbr-filter {
  padding: 2px 12px 6px;
}

.nbr-empty {
  color: var(--jp-ui-font-color2);
  font-style: italic;
  padding: 0 12px;
}

.nbr-error,
.nbr-message-error {
  color: var(--jp-error-color1);
}

.nbr-message-ok {
  color: var(--jp-success-color1);
}

.nbr-message {
  min-height: 1.4em;
  padding: 2px 0;
}

.nbr-link-button {
  background: none;
  border: none;
  color: var(--jp-content-link-color);
  cursor: pointer;
  font-size: inherit;
  padding: 0 4px;
  text-decoration: underline;
}

/* pages in the main area */
.nbr-page {
  padding: 12px 20px 32px;
  box-sizing: border-box;
}

.nbr-page-header h2 {
  font-size: var(--jp-content-font-size4, 1.4em);
  margin: 4px 0 6px;
  overflow-wrap: anywhere;
}

.nbr-kicker {
  color: var(--jp-ui-font-color2);
  font-weight: 400;
}

.nbr-actions {
  background: var(--jp-layout-color2);
  border: var(--jp-border-width) solid var(--jp-border-color2);
  border-radius: 4px;
  margin: 12px 0;
  padding: 8px 12px;
}

.nbr-form {
  align-items: center;
  display: flex;
  flex-wrap: wrap;
  gap: 6px;
  margin: 4px 0;
}

.nbr-form > label:first-child {
  color: var(--jp-ui-font-color2);
  min-width: 3.5em;
}

.nbr-button {
  height: 26px;
  line-height: 26px;
  padding: 0 10px;
  cursor: pointer;
}

.nbr-button:not(.jp-mod-accept) {
  background: var(--jp-layout-color3);
}

.nbr-button:disabled {
  cursor: default;
  opacity: 0.5;
}

.nbr-button.nbr-small {
  height: 22px;
  line-height: 22px;
  font-size: var(--jp-ui-font-size0);
}

.nbr-select,
.nbr-input.jp-mod-styled {
  background: var(--jp-input-background);
  border: var(--jp-border-width) solid var(--jp-input-border-color);
  border-radius: var(--jp-border-radius);
  box-sizing: border-box;
  color: var(--jp-ui-font-color0);
  font-size: var(--jp-ui-font-size1);
  height: 26px;
  max-width: 100%;
  padding: 0 6px;
}

.nbr-wide {
  min-width: 22em;
}

.nbr-narrow {
  width: 6em;
}

.nbr-use-line {
  background: var(--jp-cell-editor-background);
  border: var(--jp-border-width) solid var(--jp-cell-editor-border-color);
  border-radius: 3px;
  font-family: var(--jp-code-font-family);
  padding: 3px 8px;
}

.nbr-section {
  margin: 16px 0;
}

.nbr-section h3,
.nbr-card h3 {
  border-bottom: var(--jp-border-width) solid var(--jp-border-color2);
  font-size: var(--jp-ui-font-size2);
  margin: 0 0 8px;
  padding-bottom: 4px;
}

.nbr-card-body {
  max-width: 60em;
}

.nbr-card-editor {
  font-family: var(--jp-code-font-family);
  width: 100%;
  box-sizing: border-box;
}

.nbr-field {
  display: block;
  margin: 6px 0;
}

.nbr-field > input,
.nbr-field > textarea {
  display: block;
  margin-top: 2px;
}

.nbr-table {
  border-collapse: collapse;
  width: 100%;
}

.nbr-table th {
  color: var(--jp-ui-font-color2);
  font-weight: 600;
  text-align: left;
  white-space: nowrap;
}

.nbr-table th,
.nbr-table td {
  border-bottom: var(--jp-border-width) solid var(--jp-border-color3);
  padding: 4px 8px;
  vertical-align: top;
}

.nbr-runs-table-host td {
  white-space: nowrap;
}

.nbr-table td.nbr-meta {
  font-family: var(--jp-code-font-family);
  font-size: var(--jp-code-font-size);
}

tr.nbr-mod-selected {
  background: var(--jp-brand-color3);
}

.nbr-scroll-x {
  overflow-x: auto;
}

.nbr-facts {
  display: grid;
  grid-template-columns: max-content auto;
  gap: 2px 12px;
}

.nbr-facts dt {
  color: var(--jp-ui-font-color2);
}

.nbr-facts dd {
  margin: 0;
  word-break: break-all;
}

.nbr-lineage {
  display: flex;
  flex-direction: column;
}

.nbr-graph {
  border: var(--jp-border-width) solid var(--jp-border-color2);
  flex: 1 1 auto;
  min-height: 360px;
}

.nbr-pager {
  align-items: center;
  display: inline-flex;
  gap: 8px;
}

.nbr-pager .nbr-count {
  margin-left: 0;
}

/* automations on a model page */
.nbr-note {
  color: var(--jp-ui-font-color2);
  font-size: var(--jp-ui-font-size1);
  max-width: 80ch;
}

.nbr-status-delivered {
  background: var(--jp-success-color3);
  color: var(--jp-success-color0);
}

.nbr-status-running {
  background: var(--jp-info-color3);
  color: var(--jp-info-color0);
}

.nbr-status-failed {
  background: var(--jp-warn-color3);
  color: var(--jp-warn-color0);
}

.nbr-status-gave_up {
  background: var(--jp-error-color3);
  color: var(--jp-error-color0);
}

.nbr-delivery-detail summary {
  cursor: pointer;
  font-family: var(--jp-code-font-family);
  overflow-wrap: anywhere;
}

.nbr-output {
  font-family: var(--jp-code-font-family);
  font-size: var(--jp-code-font-size);
  max-height: 16em;
  max-width: 60ch;
  overflow: auto;
  white-space: pre-wrap;
}
`,""]),e.d(o,{},{A:i})},314(r){r.exports=function(r){var o=[];return o.toString=function(){return this.map(function(o){var e="",n=void 0!==o[5];return o[4]&&(e+="@supports (".concat(o[4],") {")),o[2]&&(e+="@media ".concat(o[2]," {")),n&&(e+="@layer".concat(o[5].length>0?" ".concat(o[5]):""," {")),e+=r(o),n&&(e+="}"),o[2]&&(e+="}"),o[4]&&(e+="}"),e}).join("")},o.i=function(r,e,n,t,a){"string"==typeof r&&(r=[[null,r,void 0]]);var i={};if(n)for(var p=0;p<this.length;p++){var l=this[p][0];null!=l&&(i[l]=!0)}for(var c=0;c<r.length;c++){var d=[].concat(r[c]);n&&i[d[0]]||(void 0!==a&&(void 0===d[5]||(d[1]="@layer".concat(d[5].length>0?" ".concat(d[5]):""," {").concat(d[1],"}")),d[5]=a),e&&(d[2]&&(d[1]="@media ".concat(d[2]," {").concat(d[1],"}")),d[2]=e),t&&(d[4]?(d[1]="@supports (".concat(d[4],") {").concat(d[1],"}"),d[4]=t):d[4]="".concat(t)),o.push(d))}},o}},601(r){r.exports=function(r){return r[1]}},72(r){var o=[];function e(r){for(var e=-1,n=0;n<o.length;n++)if(o[n].identifier===r){e=n;break}return e}function n(r,n){for(var t={},a=[],i=0;i<r.length;i++){var p=r[i],l=n.base?p[0]+n.base:p[0],c=t[l]||0,d="".concat(l," ").concat(c);t[l]=c+1;var s=e(d),b={css:p[1],media:p[2],sourceMap:p[3],supports:p[4],layer:p[5]};if(-1!==s)o[s].references++,o[s].updater(b);else{var u=function(r,o){var e=o.domAPI(o);return e.update(r),function(o){o?(o.css!==r.css||o.media!==r.media||o.sourceMap!==r.sourceMap||o.supports!==r.supports||o.layer!==r.layer)&&e.update(r=o):e.remove()}}(b,n);n.byIndex=i,o.splice(i,0,{identifier:d,updater:u,references:1})}a.push(d)}return a}r.exports=function(r,t){var a=n(r=r||[],t=t||{});return function(r){r=r||[];for(var i=0;i<a.length;i++){var p=e(a[i]);o[p].references--}for(var l=n(r,t),c=0;c<a.length;c++){var d=e(a[c]);0===o[d].references&&(o[d].updater(),o.splice(d,1))}a=l}}},659(r){var o={};r.exports=function(r,e){var n=function(r){if(void 0===o[r]){var e=document.querySelector(r);if(window.HTMLIFrameElement&&e instanceof window.HTMLIFrameElement)try{e=e.contentDocument.head}catch(r){e=null}o[r]=e}return o[r]}(r);if(!n)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");n.appendChild(e)}},540(r){r.exports=function(r){var o=document.createElement("style");return r.setAttributes(o,r.attributes),r.insert(o,r.options),o}},56(r,o,e){r.exports=function(r){var o=e.nc;o&&r.setAttribute("nonce",o)}},825(r){r.exports=function(r){if("u"<typeof document)return{update:function(){},remove:function(){}};var o=r.insertStyleElement(r);return{update:function(e){var n,t,a;n="",e.supports&&(n+="@supports (".concat(e.supports,") {")),e.media&&(n+="@media ".concat(e.media," {")),(t=void 0!==e.layer)&&(n+="@layer".concat(e.layer.length>0?" ".concat(e.layer):""," {")),n+=e.css,t&&(n+="}"),e.media&&(n+="}"),e.supports&&(n+="}"),(a=e.sourceMap)&&"u">typeof btoa&&(n+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(a))))," */")),r.styleTagTransform(n,o,r.options)},remove:function(){var r;null===(r=o).parentNode||r.parentNode.removeChild(r)}}}},494(r){r.exports=function(r,o){if(o.styleSheet)o.styleSheet.cssText=r;else{for(;o.firstChild;)o.removeChild(o.firstChild);o.appendChild(document.createTextNode(r))}}},579(r,o,e){var n=e(72),t=e.n(n),a=e(825),i=e.n(a),p=e(659),l=e.n(p),c=e(56),d=e.n(c),s=e(540),b=e.n(s),u=e(494),f=e.n(u),v=e(475),g={};g.styleTagTransform=f(),g.setAttributes=d(),g.insert=l().bind(null,"head"),g.domAPI=i(),g.insertStyleElement=b(),t()(v.A,g),v.A&&v.A.locals&&v.A.locals}}]);