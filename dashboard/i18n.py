"""Every user-visible string of the dashboard, in Chinese (default) and English, with date and number formats."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

# key -> (Chinese, English). Placeholders use str.format names.
STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("创先争优评选表彰", "Competition and exemplar selection"),
    "app.language": ("语言 / Language", "Language / 语言"),
    "app.updated": ("数据更新于 {when}", "Data as of {when}"),
    "app.no_data": ("暂无数据。", "No data yet."),
    "app.db_error": ("读取排行榜数据失败：{error}", "Could not read the leaderboard data: {error}"),
    "nav.public": ("公开信息", "Public"),
    "nav.staff": ("工作人员", "Staff"),
    "page.leaderboard": ("排行榜", "Leaderboard"),
    "page.arena": ("擂台赛实时榜", "Live arena board"),
    "page.honours": ("荣誉榜", "Honours wall"),
    "page.notices": ("公示与异议", "Publicity and objections"),
    "page.turnout": ("参评情况", "Turnout and participation"),
    "page.portal": ("工作人员入口", "Staff portal"),
    # leaderboard
    "lb.programme": ("评选活动", "Programme"),
    "lb.category": ("评选类别", "Category"),
    "lb.search": ("搜索名称或单位", "Search name or unit"),
    "lb.count": ("共 {n} 个参评对象，名额 {quota} 个", "{n} nominees, {quota} places"),
    "lb.rank": ("名次", "Rank"),
    "lb.nominee": ("参评对象", "Nominee"),
    "lb.unit": ("所在单位", "Unit"),
    "lb.composite": ("综合得分", "Composite"),
    "lb.status": ("状态", "Status"),
    "lb.votes": ("测评得票", "Votes"),
    "lb.objections": ("未结异议", "Open objections"),
    "lb.tie_break": ("并列判定", "Tie-break"),
    "lb.explain": ("查看得分构成", "Explain a score"),
    "lb.explain_for": ("{name} 的得分构成（综合得分 {composite}）", "How {name} scored (composite {composite})"),
    "lb.component": ("构成项", "Component"),
    "lb.raw": ("原始值", "Raw value"),
    "lb.normalised": ("标准化值", "Normalised"),
    "lb.weight": ("权重", "Weight"),
    "lb.contribution": ("贡献分", "Contribution"),
    "lb.detail": ("说明", "Detail"),
    "lb.no_components": ("尚未计算综合得分。", "No composite score computed yet."),
    "lb.unranked": ("未排名", "unranked"),
    "lb.auto": ("自动刷新（每 {s} 秒），无需重新加载页面", "Refreshes by itself every {s} s; no reload needed"),
    "lb.tie": ("并列", "tie"),
    "lb.tie_by": ("综合得分相同，按“{component}”排序", "equal composite; ordered by {component}"),
    "lb.featured": ("重点榜单", "Featured boards"),
    # arena
    "arena.pick": ("擂台赛", "Arena contest"),
    "arena.frozen": ("封榜中：“{round}”起的轮次成绩暂不公布，揭晓后显示。",
                     "Board frozen: rounds from “{round}” on are hidden until the reveal."),
    "arena.round_no": ("第 {n} 轮", "round {n}"),
    "arena.live": ("实时更新中（每秒刷新）", "Live (refreshed every second)"),
    "arena.contestant": ("选手", "Contestant"),
    "arena.live_total": ("现场总分", "Live total"),
    "arena.live_norm": ("现场得分(百分制)", "Live (0-100)"),
    "arena.prior": ("前期考核", "Prior assessment"),
    "arena.final": ("最终得分", "Final"),
    "arena.none": ("暂无擂台赛。", "No arena contest yet."),
    "arena.weight": ("现场权重 {w}", "Live weight {w}"),
    # honours
    "hon.confirmed": ("已表彰", "Confirmed"),
    "hon.revoked": ("已撤销", "Revoked"),
    "hon.revoked_reason": ("撤销原因：{reason}", "Revoked: {reason}"),
    "hon.confirmed_at": ("表彰时间：{when}", "Confirmed {when}"),
    "hon.history": ("历史记录", "History"),
    "hon.review": ("复查 {due}：{outcome}", "Review {due}: {outcome}"),
    "hon.pending": ("待复查", "pending"),
    "hon.count": ("已表彰 {c} 个，已撤销 {r} 个", "{c} confirmed, {r} revoked"),
    # notices
    "ntc.period": ("公示期：{start} 至 {end}（{days} 个工作日）", "Publicity: {start} to {end} ({days} working days)"),
    "ntc.open": ("公示中", "open"),
    "ntc.closed": ("已结束", "closed"),
    "ntc.nominees": ("公示对象", "Nominees in publicity"),
    "ntc.form": ("实名提出异议", "File an objection under your real name"),
    "ntc.form_help": ("异议须实名，并留下电话或电子邮箱；联系方式仅供核实，不公开。",
                      "Objections are filed under real name with a phone or email; "
                      "contact details are never published."),
    "ntc.notice": ("公示", "Notice"),
    "ntc.nominee": ("异议对象", "Nominee"),
    "ntc.name": ("真实姓名", "Real name"),
    "ntc.phone": ("电话", "Phone"),
    "ntc.email": ("电子邮箱", "Email"),
    "ntc.reason": ("异议事实与理由（至少10字）", "Facts and grounds (at least 10 characters)"),
    "ntc.attachments": ("附件（可选）", "Attachments (optional)"),
    "ntc.files_rule": ("附件最多 {n} 个，每个不超过 {mb} MB，格式：{types}。",
                       "Up to {n} files of at most {mb} MB each: {types}."),
    "ntc.submit": ("提交异议", "File objection"),
    "ntc.filed": ("异议已受理，受理编号：{no}", "Objection filed; tracking number: {no}"),
    "ntc.follow": ("请记下受理编号。查询办理进度：在本页下方“按受理编号查询办理状态”中输入该编号，或打开此链接：",
                   "Keep the tracking number. To follow it, enter it under “Track an objection by its number” "
                   "below, or open this link:"),
    "ntc.follow_link": ("查询本异议的办理状态", "Track this objection"),
    "ntc.track": ("按受理编号查询办理状态", "Track an objection by its number"),
    "ntc.track_no": ("受理编号", "Tracking number"),
    "ntc.track_btn": ("查询", "Look up"),
    "ntc.state": ("办理状态：{state}", "State: {state}"),
    "ntc.none_open": ("当前没有公示中的名单。", "No notice is in its publicity period now."),
    "ntc.need_contact": ("请填写电话或电子邮箱。", "Enter a phone number or an email."),
    "ntc.need_fields": ("请填写姓名和至少10字的理由。", "Enter your name and a reason of at least 10 characters."),
    # turnout
    "to.round": ("测评轮次", "Voting round"),
    "to.eligible": ("应参评人数", "Eligible"),
    "to.cast": ("已投票数", "Ballots cast"),
    "to.turnout": ("参评率", "Turnout"),
    "to.invalid": ("废票", "Invalid"),
    "to.by_unit": ("各单位参评率", "Turnout by unit"),
    "to.over_time": ("投票进度", "Ballots over time"),
    "to.hidden": ("本轮票数暂不公开。", "Counts of this round are hidden until published."),
    "to.state_open": ("进行中", "open"),
    "to.state_closed": ("已结束", "closed"),
    "to.time": ("时间", "Time"),
    "to.unit": ("单位", "Unit"),
    "to.participation": ("各单位申报情况", "Nominations by unit"),
    "to.nominations": ("申报数", "Nominations"),
    "to.parent": ("上级单位", "Parent unit"),
    "to.other_units": ("其他单位", "Other units"),
    # portal
    "pt.login": ("登录", "Log in"),
    "pt.token": ("角色令牌（由 exemplar token 签发）", "Role token (issued by `exemplar token`)"),
    "pt.logout": ("退出登录", "Log out"),
    "pt.bad_token": ("令牌无法识别：{error}", "The token cannot be read: {error}"),
    "pt.expired": ("令牌已过期。", "The token has expired."),
    "pt.who": ("当前用户：{name}（{role}）", "Logged in: {name} ({role})"),
    "pt.role.organiser": ("组织者", "organiser"),
    "pt.role.unit": ("申报单位", "unit"),
    "pt.role.member": ("党员", "member"),
    "pt.role.judge": ("评委", "judge"),
    "pt.done": ("操作成功。", "Done."),
    "pt.error": ("操作失败：{message}", "Failed: {message}"),
    "pt.unreachable": ("服务暂时无法访问（{service}）：{error}", "The {service} service cannot be reached: {error}"),
    "pt.materials": ("事迹材料", "Materials"),
    "pt.stage.nomination": ("申报", "nomination"),
    "pt.stage.review": ("资格审查", "review"),
    "pt.stage.voting": ("民主测评", "peer voting"),
    "pt.stage.judging": ("评审打分", "judging"),
    "pt.stage.publicity": ("公示", "publicity"),
    "pt.nominee_name": ("参评对象名称", "Nominee name"),
    "pt.unit_name": ("申报单位名称", "Unit name"),
    "pt.my_noms": ("本单位申报", "Our nominations"),
    "pt.submitted": ("申报已提交，编号 {id}", "Nomination submitted: {id}"),
    "pt.ballot": ("民主测评投票", "Cast a peer ballot"),
    "pt.round": ("测评轮次", "Round"),
    "pt.no_rounds": ("当前没有进行中的测评。", "No voting round is open."),
    "pt.approve_up_to": ("最多可选 {n} 人", "Choose up to {n}"),
    "pt.choose": ("选择", "Choose"),
    "pt.cast": ("提交选票", "Cast ballot"),
    "pt.receipt": ("投票成功，回执：{receipt}（请保存，用于核验）",
                   "Ballot counted. Receipt: {receipt} (keep it to check)"),
    "pt.pending": ("选票已提交，正在计票。回执：{receipt}", "Ballot queued for counting. Receipt: {receipt}"),
    "pt.check_receipt": ("核验回执", "Check a receipt"),
    "pt.receipt_no": ("回执编号", "Receipt"),
    "pt.check": ("核验", "Check"),
    "pt.voted": ("您已在本轮投票。", "You have voted in this round."),
    "pt.not_eligible": ("您不在本轮测评名单中。", "You are not on this round's roll."),
    "pt.review": ("资格审查", "Review nominations"),
    "pt.approve": ("通过", "Approve"),
    "pt.return": ("退回修改", "Return"),
    "pt.reject": ("不予通过", "Reject"),
    "pt.comment": ("意见", "Comment"),
    "pt.nomination": ("申报", "Nomination"),
    "pt.stages": ("阶段管理", "Stages"),
    "pt.stage": ("阶段", "Stage"),
    "pt.open_stage": ("开启", "Open"),
    "pt.close_stage": ("关闭", "Close"),
    "pt.rounds": ("测评轮次", "Voting rounds"),
    "pt.open_round": ("开启测评轮次", "Open a voting round"),
    "pt.round_name": ("轮次名称", "Round name"),
    "pt.ballot_type": ("投票方式", "Ballot type"),
    "pt.type.approval": ("推荐投票（限额）", "approval (up to a limit)"),
    "pt.type.appraisal": ("民主测评（四档）", "appraisal (four grades)"),
    "pt.max_sel": ("最多可选人数", "Maximum selections"),
    "pt.hours": ("持续小时数", "Hours open"),
    "pt.close_round": ("结束本轮", "Close round"),
    "pt.objections": ("异议处理", "Objections"),
    "pt.no_objections": ("没有待处理的异议。", "No objection to handle."),
    "pt.outcome": ("处理结论", "Outcome"),
    "pt.sustained": ("异议成立", "sustained"),
    "pt.dismissed": ("异议不成立", "dismissed"),
    "pt.resolve": ("办结", "Resolve"),
    "pt.reason": ("理由", "Reason"),
    "pt.investigator": ("调查人", "Investigator"),
    "pt.assign": ("指派", "Assign"),
    "pt.findings": ("调查情况", "Findings"),
    "pt.record": ("记录", "Record"),
    "pt.publicity": ("发布公示", "Open publicity"),
    "pt.working_days": ("公示工作日数", "Working days"),
    "pt.publish": ("发布", "Publish"),
    "pt.honours": ("荣誉管理", "Honours"),
    "pt.revoke": ("撤销荣誉", "Revoke"),
    "pt.revoke_reason": ("撤销原因", "Reason for revocation"),
    "pt.no_role": ("此令牌的角色没有可用功能。", "This token's role has nothing to do here."),
    # the units' page (申报单位): nominate, attach, withdraw, resubmit after a return
    "un.tab_list": ("本单位申报", "Our nominations"),
    "un.count": ("共 {n} 个申报。", "{n} nominations. "),
    "un.tab_new": ("提交新申报", "New nomination"),
    "un.list_help": ("列出本单位及下属单位的全部申报和当前状态；每次操作后自动更新。",
                     "Every nomination of this unit and its sub-units, with its status; refreshed after each action."),
    "un.refresh": ("刷新", "Refresh"),
    "un.none": ("本单位还没有申报。请在“提交新申报”中申报。", "No nomination yet. Use “New nomination”."),
    "un.col.nominee": ("参评对象", "Nominee"),
    "un.col.category": ("评选类别", "Category"),
    "un.col.unit": ("申报单位", "Nominating unit"),
    "un.col.status": ("状态", "Status"),
    "un.col.comment": ("审查意见", "Reviewer's comment"),
    "un.col.files": ("附件", "Files"),
    "un.col.updated": ("更新时间", "Updated"),
    "un.status.submitted": ("已申报，待审查", "submitted, awaiting review"),
    "un.status.returned": ("退回修改", "returned for changes"),
    "un.status.approved": ("审查通过", "approved"),
    "un.status.rejected": ("未通过审查", "rejected"),
    "un.status.withdrawn": ("已撤回", "withdrawn"),
    "un.pick": ("查看或处理申报", "Open a nomination"),
    "un.status_is": ("状态：{status}", "Status: {status}"),
    "un.returned_comment": ("审查意见（退回修改）：{comment}", "Returned for changes. The reviewer wrote: {comment}"),
    "un.rejected_reason": ("未通过审查，理由：{reason}", "Rejected. Reason: {reason}"),
    "un.approved_comment": ("审查通过。{comment}", "Approved. {comment}"),
    "un.history": ("办理记录", "History"),
    "un.act.submit": ("提交申报", "submitted"),
    "un.act.return": ("退回修改", "returned for changes"),
    "un.act.resubmit": ("重新提交", "resubmitted"),
    "un.act.withdraw": ("撤回", "withdrawn"),
    "un.act.approve": ("审查通过", "approved"),
    "un.act.reject": ("不予通过", "rejected"),
    "un.act.veto": ("一票否决", "vetoed"),
    "un.materials": ("事迹材料", "Materials"),
    "un.materials_help": ("最多 {n} 字。", "At most {n} characters."),
    "un.no_materials": ("（未填写）", "(none)"),
    "un.self": ("自评得分", "Self-assessment"),
    "un.self_help": ("按本类别的评分项逐项自评（0 至满分，步长 {step}）。",
                     "Score yourself on each criterion of the category (0 to its maximum, in steps of {step})."),
    "un.total": ("合计", "Total"),
    "un.criterion_col": ("评分项", "Criterion"),
    "un.criterion": ("{name}（满分 {max}）", "{name} (max {max})"),
    "un.files": ("附件", "Attachments"),
    "un.files_rule": ("可上传 PDF、Word（doc/docx）、Excel（xlsx）、JPG、PNG；每个文件不超过 {mb} MB，每个申报最多 {n} "
                      "个。",
                      "PDF, Word (doc/docx), Excel (xlsx), JPG or PNG; each file at most {mb} MB, at most {n} per "
                      "nomination."),
    "un.no_files": ("无附件", "No attachment"),
    "un.file_line": ("{name}（{size}）", "{name} ({size})"),
    "un.more_files": ("补充附件", "Add attachments"),
    "un.upload": ("上传附件", "Upload"),
    "un.category": ("评选类别", "Category"),
    "un.search_member": ("按姓名搜索本单位党员", "Search our members by name"),
    "un.search_unit": ("按名称搜索本单位及下属单位", "Search our unit and its sub-units by name"),
    "un.search_help": ("输入姓名（或名称）中的字即可，例如“王”。", "Type part of the name."),
    "un.nominee": ("参评对象", "Nominee"),
    "un.choose": ("请选择参评对象", "Choose the nominee"),
    "un.found": ("找到 {n} 个，请在下面选择。", "{n} found; choose below."),
    "un.found_more": ("找到 {n} 个，只列出前 {shown} 个，请输入更多字缩小范围。",
                      "{n} found; the first {shown} are listed: type more to narrow it."),
    "un.not_found": ("没有找到名称含“{q}”的{what}。", "Nothing named like “{q}” among {what}."),
    "un.what.member": ("本单位党员", "our members"),
    "un.what.unit": ("本单位及下属单位", "our unit and its sub-units"),
    "un.takes": ("本类别的参评对象：{kind}", "This category takes: {kind}"),
    "un.kind.member": ("党员", "members"),
    "un.kind.organ": ("机关", "organs"),
    "un.kind.branch": ("党支部", "party branches"),
    "un.kind.site": ("示范点", "demonstration sites"),
    "un.kind.team": ("服务队", "service teams"),
    "un.submit": ("提交申报", "Submit the nomination"),
    "un.submitted": ("申报已提交：{nominee}（{category}），附件 {files} 个。",
                     "Submitted: {nominee} ({category}), {files} attachment(s)."),
    "un.withdraw": ("撤回申报", "Withdraw"),
    "un.withdraw_q": ("确定撤回对“{nominee}”的申报吗？撤回后可重新申报该对象。",
                      "Withdraw the nomination of “{nominee}”? The nominee may be nominated again afterwards."),
    "un.withdrawn": ("已撤回对“{nominee}”的申报。", "The nomination of “{nominee}” is withdrawn."),
    "un.resubmit_title": ("修改后重新提交", "Revise and resubmit"),
    "un.resubmit": ("重新提交", "Resubmit"),
    "un.resubmitted": ("已重新提交对“{nominee}”的申报，等待审查。",
                       "The nomination of “{nominee}” is resubmitted for review."),
    "un.attached": ("已上传附件 {n} 个。", "{n} attachment(s) uploaded."),
    "un.file_failed": ("附件“{name}”未上传：{why}", "Attachment “{name}” was not uploaded: {why}"),
    "un.confirm": ("确认", "Confirm"),
    "un.cancel": ("取消", "Cancel"),
    "un.required": ("请填写此项。", "This field is required."),
    "un.no_unit": ("您的登录信息中没有单位，无法申报，请联系组织者。",
                   "Your sign-in carries no unit; ask the organiser."),
    "un.no_categories": ("本评选活动还没有评选类别。", "This programme has no category yet."),
    "un.stage_closed": ("申报阶段现未开放：可以查看申报，但不能提交、撤回或重新提交。",
                        "The nomination stage is not open: nominations can be read but not submitted, withdrawn or "
                        "resubmitted."),
    "un.action.withdraw": ("撤回", "withdrawn"),
    "un.action.resubmit": ("重新提交", "resubmitted"),
    "un.action.attach": ("上传附件", "given attachments"),
    # the judges' page (评委评分)
    "jd.title": ("评委评分：{name}", "Judging: {name}"),
    "jd.scored": ("已评分", "Scored"),
    "jd.to_score": ("待评分", "To score"),
    "jd.recused": ("已回避", "Recused"),
    "jd.progress": ("评分进度：已评 {scored} / 应评 {total}", "Progress: {scored} of {total} scored"),
    "jd.progress_recused": ("评分进度：已评 {scored} / 应评 {total}（另有 {recused} 个已回避）",
                            "Progress: {scored} of {total} scored ({recused} recused besides)"),
    "jd.none": ("暂无分配给您的参评对象。", "No nominee is assigned to you."),
    "jd.list": ("我的评分任务", "My assignments"),
    "jd.col.nominee": ("参评对象", "Nominee"),
    "jd.col.unit": ("所在单位", "Unit"),
    "jd.col.category": ("评选类别", "Category"),
    "jd.col.state": ("状态", "State"),
    "jd.col.total": ("我的总分", "My total"),
    "jd.pick": ("选择参评对象", "Choose a nominee"),
    "jd.materials": ("事迹材料", "Materials"),
    "jd.no_materials": ("申报单位未填写事迹材料。", "The unit wrote no materials."),
    "jd.attachments": ("附件", "Attachments"),
    "jd.no_attachments": ("无附件。", "No attachments."),
    "jd.self": ("单位自评", "Self-assessment"),
    "jd.criterion": ("评分项", "Criterion"),
    "jd.max": ("满分", "Maximum"),
    "jd.self_points": ("自评分", "Self"),
    "jd.mine": ("我的评分", "My score"),
    "jd.unreadable": ("暂时无法读取申报材料：{message}", "The materials cannot be read now: {message}"),
    "jd.sheet": ("评分表", "Score sheet"),
    "jd.score_label": ("{name}（满分 {max}）", "{name} (max {max})"),
    "jd.score_help": ("0–{max} 分，步长 {step}；单位自评 {self}",
                      "0 to {max}, in steps of {step}; self-assessed {self}"),
    "jd.save": ("保存评分", "Save scores"),
    "jd.saved": ("评分已保存：{name}，合计 {total} 分。", "Scores saved for {name}: {total} in all."),
    "jd.saved_partial": ("已保存，还有评分项未填写。", "Saved; some criteria are still empty."),
    "jd.empty": ("请填写“{criterion}”的分数。", "Enter a score for “{criterion}”."),
    "jd.locked": ("评审组已锁定，评分不能再修改。", "The panel is locked; scores can no longer change."),
    "jd.conflict": ("申报回避（利益冲突）", "Declare a conflict of interest"),
    "jd.conflict_help": ("如与该参评对象存在亲属、任职、隶属等关系，请申报回避并说明理由；回避后不再评分，"
                         "组织者将另行安排评委。",
                         "If you are related to this nominee (family, post, line of authority), declare a conflict "
                         "with the reason: you will no longer score it and the organiser assigns another judge."),
    "jd.reason": ("回避理由", "Reason"),
    "jd.declare": ("确认申报回避", "Declare the conflict"),
    "jd.declared": ("已申报回避：{name}。", "Conflict declared: {name}."),
    "jd.recused_note": ("您已回避该参评对象：{reason}", "You are recused from this nominee: {reason}"),
    "jd.arena": ("擂台赛现场打分", "Arena scoring on stage"),
    "jd.arena_help": ("在手机上打开，已用当前登录身份签入，无需粘贴令牌。",
                      "Opens on a phone, signed in as you: no token to paste."),
    "jd.arena_open": ("打开“{name}”评委打分页", "Open the judge page of “{name}”"),
    # ballots (phone page and portal)
    "bl.title": ("扫码投票", "Ballot"),
    "bl.no_credential": ("请用手机扫描投票凭证上的二维码打开本页。",
                         "Scan the QR code on your ballot slip to open this page."),
    "bl.type_credential": ("或输入凭证上的编码", "Or enter the code printed on the slip"),
    "bl.open": ("打开选票", "Open the ballot"),
    "bl.used": ("此凭证已经投过票，不能再次使用。如保存了回执链接，可打开它核验选票是否计入。",
                "This credential has already been used. If you kept the receipt link, open it to check your ballot."),
    "bl.round_closed": ("本轮测评已结束，不能再投票。", "This round is closed; ballots are no longer taken."),
    "bl.round_not_open": ("本轮测评尚未开始，请在开始后再扫码。",
                          "This round has not opened yet; scan again once it opens."),
    "bl.progress_grades": ("已评定 {answered} / {total}", "Answered {answered} of {total}"),
    "bl.cap": ("优秀 {n} / {cap}", "Excellent {n} of {cap}"),
    "bl.excellent_count": ("优秀 {n}", "Excellent {n}"),
    "bl.selected": ("已选 {k} / {n}", "Selected {k} of {n}"),
    "bl.selected_in": ("{category}：已选 {k} / {n}", "{category}: selected {k} of {n}"),
    "bl.how_grades": ("请为每位候选对象选择一个档次；不评价的请选“弃权”。没有默认选项。",
                      "Choose a grade for every candidate, or “abstain”. Nothing is preselected."),
    "bl.how_grades_all": ("请为每位候选对象选择一个档次（本轮不设弃权）。没有默认选项。",
                          "Choose a grade for every candidate (this round has no abstention). Nothing is preselected."),
    "bl.ungraded": ("还有 {n} 个候选对象未评定。", "{n} candidates are not graded yet."),
    "bl.how_cap": ("“优秀”最多 {cap} 个。", "At most {cap} may be graded excellent."),
    "bl.how_select": ("请勾选您推荐的对象，最多 {n} 个。", "Tick the candidates you support, at most {n}."),
    "bl.abstain": ("弃权", "abstain"),
    "bl.unanswered": ("还有 {n} 个候选对象未评定（可选择“弃权”）。",
                      "{n} candidates are not answered yet (you may abstain)."),
    "bl.over_cap": ("“优秀”已选 {n} 个，超过上限 {cap} 个，请调整。",
                    "{n} graded excellent, over the limit of {cap}: change some."),
    "bl.all_abstain": ("全部弃权的选票是空白票，不能提交。",
                       "A ballot that abstains on everyone is blank and cannot be cast."),
    "bl.none_selected": ("尚未选择任何对象。", "Nobody is selected yet."),
    "bl.over_limit": ("已选 {n} 个，超过上限 {limit} 个，请取消部分选择。",
                      "{n} selected, over the limit of {limit}: untick some."),
    "bl.next": ("下一步：核对选票", "Next: review the ballot"),
    "bl.confirm_title": ("请核对您的选票", "Review your ballot"),
    "bl.confirm_help": ("确认提交后不能修改。", "Once cast, a ballot cannot be changed."),
    "bl.choice": ("您的选择", "Your choice"),
    "bl.selected_mark": ("推荐", "selected"),
    "bl.not_selected": ("未选", "not selected"),
    "bl.back": ("返回修改", "Back to change"),
    "bl.cast": ("确认提交", "Cast the ballot"),
    "bl.done": ("投票成功，您的选票已计入。", "Your ballot is counted."),
    "bl.pending": ("选票已提交，正在计票。", "Your ballot is submitted and being counted."),
    "bl.receipt": ("回执编号", "Receipt"),
    "bl.keep": ("请截图保存本页或下面的二维码；打开回执链接即可随时核验，无需输入任何编号。",
                "Take a screenshot of this page or the QR code below; the receipt link checks your ballot any time, "
                "with nothing to type."),
    "bl.check_link": ("核验我的回执", "Check my receipt"),
    "bl.receipt_title": ("核验回执", "Check a receipt"),
    "bl.receipt_found": ("已核验：回执 {receipt} 对应的选票已计入“{round}”。",
                         "Checked: the ballot with receipt {receipt} is counted in “{round}”."),
    "bl.receipt_missing": ("暂未找到回执 {receipt}。", "Receipt {receipt} is not found yet."),
    "bl.receipt_wait": ("刚提交的选票可能仍在计票，请稍后刷新本页。",
                        "A ballot just cast may still be counting; reload this page in a moment."),
    "bl.receipt_bad_link": ("回执链接不完整，请打开投票后显示的链接。",
                            "The receipt link is incomplete; open the link shown after voting."),
    "bl.bulletin_root": ("本轮已结束，公告板校验值：{root}", "The round is closed; bulletin root: {root}"),
    "bl.check_again": ("重新核验", "Check again"),
    "bl.lang": ("English", "中文"),
    "bl.candidates": ("共 {n} 个候选对象", "{n} candidates"),
    # credential slips (organiser)
    "sl.title": ("投票凭证（扫码投票）", "Ballot slips (scan to vote)"),
    "sl.help": ("为本轮所有单位一次生成凭证，每人一张，含二维码；A4 打印，沿虚线裁开发放。凭证只显示一次。",
                "Issue the slips of every unit of the round at once, one per member with a QR code; print on A4 and "
                "cut along the dashed lines. Credentials are shown once."),
    "sl.reissue": ("重新发放（作废此前发放的凭证）", "Reissue (the slips issued before stop working)"),
    "sl.make": ("生成全部单位的投票凭证", "Issue the slips of all units"),
    "sl.download": ("下载 A4 打印版", "Download the A4 print sheet"),
    "sl.made": ("已生成 {n} 张凭证（{units} 个单位）。", "{n} slips issued for {units} units."),
    "sl.skipped": ("另有 {n} 人本次未生成凭证（此前已发放或已投票）；如需补发，请勾选“重新发放”。",
                   "{n} members got no new slip (issued before, or voted); tick “reissue” to print theirs."),
    "sl.base": ("二维码链接地址：{base}", "QR codes link to: {base}"),
    "sl.none": ("本轮没有可发放凭证的单位。", "No unit of this round has members to issue slips to."),
}

STATUS: dict[str, tuple[str, str]] = {
    "submitted": ("已申报", "submitted"),
    "approved": ("审查通过", "approved"),
    "returned": ("退回修改", "returned"),
    "rejected": ("未通过审查", "rejected"),
    "withdrawn": ("已撤回", "withdrawn"),
    "in_publicity": ("公示中", "in publicity"),
    "blocked": ("异议待结", "blocked by objection"),
    "removed": ("公示后取消", "removed"),
    "confirmed": ("已表彰", "confirmed"),
    "revoked": ("已撤销", "revoked"),
    "filed": ("已受理", "filed"),
    "investigating": ("调查中", "investigating"),
    "resolved": ("已办结", "resolved"),
    "sustained": ("异议成立", "sustained"),
    "dismissed": ("异议不成立", "dismissed"),
    "open": ("进行中", "open"),
    "closed": ("已结束", "closed"),
    "maintained": ("保留", "maintained"),
    "rectification": ("限期整改", "rectification"),
    "revoke": ("撤销", "revoke"),
}

BOARDS: dict[str, tuple[str, str]] = {
    "model_organ": ("模范机关", "Model organs"),
    "red_flag_branch": ("先锋红旗党支部", "Red-flag branches"),
    "demonstration_site": ("先锋党建带群建示范点", "Demonstration sites"),
    "service_team": ("先锋服务队", "Vanguard service teams"),
    "excellent_member": ("四好优秀党员", "Four-good members"),
    "pacesetter": ("高质量发展标兵", "Pacesetters"),
    "other": ("其他", "Other"),
}

COMPONENTS: dict[str, tuple[str, str]] = {
    "basic": ("基础指标", "Basic indicators"),
    "key_tasks": ("重点任务", "Key tasks"),
    "business": ("业务工作", "Business performance"),
    "report": ("述职评议", "Report and appraisal"),
    "peer_vote": ("民主测评", "Peer ballots"),
    "judges": ("评委打分", "Judges' scores"),
}

GRADES: dict[str, tuple[str, str]] = {
    "excellent": ("优秀", "excellent"),
    "competent": ("称职", "competent"),
    "basically_competent": ("基本称职", "basically competent"),
    "incompetent": ("不称职", "incompetent"),
}


def _pick(table: dict[str, tuple[str, str]], key: str, lang: str) -> str | None:
    pair = table.get(key)
    if pair is None:
        return None
    return pair[1] if lang == "en" else pair[0]


def t(key: str, lang: str = DEFAULT_LANG, **kw) -> str:
    """The string for key in lang, formatted with kw; an unknown key shows itself (tests catch that)."""
    text = _pick(STRINGS, key, lang) or key
    return text.format(**kw) if kw else text


def status(code: str | None, lang: str = DEFAULT_LANG) -> str:
    return _pick(STATUS, code or "", lang) or (code or "")


def board(code: str | None, lang: str = DEFAULT_LANG) -> str:
    return _pick(BOARDS, code or "other", lang) or (code or "")


def component(code: str, lang: str = DEFAULT_LANG) -> str:
    return _pick(COMPONENTS, code, lang) or code


def grade(code: str, lang: str = DEFAULT_LANG) -> str:
    return _pick(GRADES, code, lang) or code


def to_shanghai(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:  # MongoDB returns naive UTC datetimes
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI)


def fmt_dt(value: datetime | str | None, lang: str = DEFAULT_LANG, *, seconds: bool = False) -> str:
    """A moment shown in Asia/Shanghai: 2026年11月29日 12:30 or 2026-11-29 12:30."""
    local = to_shanghai(value)
    if local is None:
        return ""
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    if lang == "en":
        return f"{local:%Y-%m-%d} {clock}"
    return f"{local.year}年{local.month}月{local.day}日 {clock}"


def fmt_date(value: datetime | str | None, lang: str = DEFAULT_LANG) -> str:
    local = to_shanghai(value) if not (isinstance(value, str) and len(value) == 10) else None
    if local is None and isinstance(value, str) and len(value) == 10:
        y, m, d = (int(x) for x in value.split("-"))
        return f"{y}-{m:02d}-{d:02d}" if lang == "en" else f"{y}年{m}月{d}日"
    if local is None:
        return ""
    return f"{local:%Y-%m-%d}" if lang == "en" else f"{local.year}年{local.month}月{local.day}日"


def fmt_num(value: float | int | None, digits: int = 2) -> str:
    """Numbers with thousands separators and fixed decimals; the same in both languages (zh-CN uses 1,234.56)."""
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def fmt_pct(value: float | None, digits: int = 1) -> str:
    """A share in 0..1 as a percentage."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


# ---- the scoring service's explanation details, which arrive as one bilingual string -------------------------------

_DETAIL_PREFIXES = ("基础指标 basic indicators", "重点任务 key tasks", "业务工作 business performance",
                    "述职评议 report and appraisal", "民主测评 peer vote")
_DETAIL_FIXED = {
    "暂无评委完整评分 no complete judge score yet": ("暂无评委完整评分", "no complete judge score yet"),
    "暂无数据 no data yet": ("暂无数据", "no data yet"),
    "暂无计票 no tally yet": ("暂无计票", "no tally yet"),
    "得票率（占实到） share of ballots cast": ("得票率（占实到人数）", "share of ballots cast"),
    "得票率（占应到） share of eligible": ("得票率（占应到人数）", "share of eligible voters"),
}
_JUDGES = re.compile(r"^(去掉一个最高分和一个最低分 trimmed mean|平均分 mean) of (\d+) judges"
                     r"(?:, dropped (\S+) and (\S+))?(, z-score normalised per judge)?$")
_TASKS = re.compile(r"^(\S+) / (\S+) over (\d+) tasks(?:; 随机点验 (\d+) checked, (\d+) failed)?$")
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


_BILINGUAL = re.compile(r"^(.*[\u4e00-\u9fff\uff00-\uffef][^A-Za-z]*?) ([A-Za-z][^\u4e00-\u9fff]*)$")


def one_language(text: str | None, lang: str = DEFAULT_LANG) -> str:
    """A service's "中文 english" text (e.g. a recusal rule's reason) in the chosen language only; any other text
    (a judge's own words) as it is."""
    text = (text or "").strip()
    m = _BILINGUAL.match(text)
    if not m:
        return text
    return m.group(2).strip() if lang == "en" else m.group(1).strip()


def detail(text: str | None, lang: str = DEFAULT_LANG) -> str:
    """A component's explanation in one language: the service writes "中文 english" in one string."""
    text = (text or "").strip()
    for prefix in _DETAIL_PREFIXES:
        if text.startswith(prefix + ":"):
            text = text[len(prefix) + 1:].strip()
    en = lang == "en"
    if text in _DETAIL_FIXED:
        return _DETAIL_FIXED[text][1 if en else 0]
    m = _JUDGES.match(text)
    if m:
        trimmed, n, high, low, z = m.group(1).startswith("去掉"), m.group(2), m.group(3), m.group(4), m.group(5)
        if en:
            out = (f"trimmed mean of {n} judges, dropped {high} and {low}" if trimmed else f"mean of {n} judges")
            return out + (", z-score normalised per judge" if z else "")
        out = (f"{n} 位评委，去掉一个最高分（{high}）和一个最低分（{low}）后取平均" if trimmed
               else f"{n} 位评委的平均分")
        return out + ("，按评委标准化（z 分数）" if z else "")
    m = _TASKS.match(text)
    if m:
        got, top, n, checked, failed = m.groups()
        if en:
            return f"{got} / {top} over {n} tasks" + (f"; spot checks: {checked}, failed {failed}" if checked else "")
        return f"{n} 项任务 {got} / {top} 分" + (f"；随机点验 {checked} 项，未通过 {failed} 项" if checked else "")
    if _CJK.search(text) and re.search(r"[A-Za-z]{2,}", text):
        # Unknown bilingual text: keep one language's words (numbers stay in both).
        if en:
            return re.sub(r"\s{2,}", " ", _CJK.sub(" ", text)).strip(" ;,")
        return re.sub(r"\s{2,}", " ", re.sub(r"\b[A-Za-z][A-Za-z\- ]*[A-Za-z]\b", " ", text)).strip(" ;,")
    return text


def tie_break(code: str | None, lang: str = DEFAULT_LANG) -> str:
    if not code:
        return ""
    if code.startswith("tie"):
        return t("lb.tie", lang)
    return t("lb.tie_by", lang, component=component(code, lang))
